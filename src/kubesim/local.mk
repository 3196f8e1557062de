# src/kubesim: see the files of this folder.

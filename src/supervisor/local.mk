# src/supervisor: see the files of this folder.

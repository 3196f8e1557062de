# src/api: see the files of this folder.

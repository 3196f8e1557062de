# src/worker: see the files of this folder.

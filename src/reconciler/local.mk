# src/reconciler: see the files of this folder.

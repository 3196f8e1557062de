# tests/fuzz: libFuzzer targets, built with ./configure --enable-fuzz CC=clang.

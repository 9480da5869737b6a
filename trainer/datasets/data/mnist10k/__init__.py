"""The bundled MNIST-10k digits (IDX, gzip); license and checksums in README.md."""

// The charts tests are being written.

// Only the header: LLVMFuzzerRunDriver comes from the libFuzzer runtime (-sanitize=fuzzer).

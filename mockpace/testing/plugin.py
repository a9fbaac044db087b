"""pytest plugin (entry point ``pytest11``): fixtures for testing 7pace clients against mockpace."""

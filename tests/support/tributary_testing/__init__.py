"""Test harness for tributary's integration tests: throwaway servers, the daemon, a workload, a verifier."""

"""Local development, not deployed (function/ is): `make run` (python -m devserver) and what it
and the benchmark start on this machine: the Firestore emulator, the AWS code path against
DynamoDB on moto, and a fake GREEN-API. The tests use the same pieces."""

"""HTTP shell: Litestar controllers, msgspec request/response Structs, guards and problem details."""

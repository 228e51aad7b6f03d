"""Proof a foreign officer can check without us: the keys coo signs with (published as a JWKS),
the self-verifying QR on every printed certificate (a COSE_Sign1 "visible digital seal"), the
signed machine-readable record (a JWS), and the local time-stamping authority of the demo.

`docs/verification.md` is the officer's and the integrator's side of this package."""

"""Service-account keys the emulator issues: a real RSA key pair and a key file shaped
like the JSON Google's Cloud console hands out, with ``token_uri`` pointing at the
emulator so google-auth asks it (and not Google) for access tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_CLIENT_EMAIL = "bansou-sync@emulator.iam.gserviceaccount.com"
DEFAULT_PROJECT_ID = "emulator"


@dataclass(frozen=True)
class ServiceAccountKey:
    private_key_id: str  # the JWT header's "kid"
    client_email: str
    client_id: str
    project_id: str
    private_key_pem: str
    public_key: rsa.RSAPublicKey

    def key_file(self, token_uri: str) -> dict[str, Any]:
        """The JSON key file, as ``service_account.Credentials.from_service_account_info`` takes it."""
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.private_key_id,
            "private_key": self.private_key_pem,
            "client_email": self.client_email,
            "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + quote(self.client_email),
            "universe_domain": "googleapis.com",
        }


def generate_service_account(
    client_email: str = DEFAULT_CLIENT_EMAIL, project_id: str = DEFAULT_PROJECT_ID
) -> ServiceAccountKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return ServiceAccountKey(
        private_key_id=secrets.token_hex(20),
        client_email=client_email,
        client_id=str(100000000000000000000 + secrets.randbelow(10**20)),
        project_id=project_id,
        private_key_pem=pem,
        public_key=private.public_key(),
    )

"""Encryption of every payload the service sends to Temporal (AES-256-GCM): histories hold
persons' names and nationalities, and the Temporal server stores them in clear otherwise.

Each encrypted payload names its key in its metadata, so keys rotate: the first key in
CONSULAR_CODEC_KEYS encrypts, every key listed decrypts. The Temporal Web UI decodes through
the API's codec endpoint (`/codec/decode`), for auditors and admins only.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Sequence
from typing import ClassVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


def parse_keys(spec: str) -> dict[str, bytes]:
    """`kid:base64key,kid2:base64key` (32-byte keys); the first is the one that encrypts."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, _, encoded = item.partition(":")
        key = base64.b64decode(encoded, validate=True)
        if not key_id or len(key) != 32:
            raise ValueError("CONSULAR_CODEC_KEYS: each entry is <key id>:<base64 of 32 bytes>")
        keys[key_id] = key
    if not keys:
        raise ValueError("CONSULAR_CODEC_KEYS: at least one key")
    return keys


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: dict[str, bytes]):
        self.current = next(iter(keys))
        self.ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            nonce = os.urandom(12)
            sealed = self.ciphers[self.current].encrypt(nonce, payload.SerializeToString(), None)
            out.append(Payload(metadata={"encoding": ENCODING, KEY_ID: self.current.encode()}, data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)  # written before encryption was switched on
                continue
            key_id = payload.metadata[KEY_ID].decode()
            if key_id not in self.ciphers:
                raise ValueError(f"payload encrypted with unknown key {key_id!r}: add it to CONSULAR_CODEC_KEYS")
            plain = self.ciphers[key_id].decrypt(payload.data[:12], payload.data[12:], None)
            out.append(Payload.FromString(plain))
        return out


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """The SDK's pydantic payload converter, built once per process. The worker makes a new
    DataConverter, and so a new payload converter, twice per workflow activation (temporalio
    1.35, `_CommandAwareDataConverter`), and building the pydantic one is not cheap. It keeps no
    state but its cache of type adapters, which is thread-safe and better shared."""

    _shared: ClassVar[SharedPydanticPayloadConverter | None] = None

    def __new__(cls) -> SharedPydanticPayloadConverter:
        if cls._shared is None:
            shared = super().__new__(cls)
            PydanticPayloadConverter.__init__(shared)
            cls._shared = shared
        return cls._shared

    def __init__(self) -> None:
        pass  # built once, in __new__


def data_converter(keys: dict[str, bytes] | None) -> DataConverter:
    """The pydantic converter, encrypted when keys are set; failure messages encoded too, or they
    would stay readable in the history."""
    converter = DataConverter(payload_converter_class=SharedPydanticPayloadConverter)
    if not keys:
        return converter
    return dataclasses.replace(
        converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )

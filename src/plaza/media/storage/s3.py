"""Pictures in S3-compatible object storage (AWS S3, MinIO, Ceph, R2, ...), for several nodes.

The client is obstore (Rust's object_store, the one Apache Arrow and DataFusion use): natively
async, no dependency on botocore (aioboto3's aiobotocore pins botocore to narrow ranges that
conflict with boto3 and moto), typed, and maintained with frequent releases.

`PLAZA_MEDIA_URL=s3://bucket/prefix?endpoint=https://host:9000&region=us-east-1`: the endpoint
and region may be given in the query or as AWS_ENDPOINT_URL / AWS_REGION; credentials come
from the environment as usual (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, or
an instance/container role), never from the URL. An http:// endpoint is allowed (a MinIO on
the same host); a put returns once the store has acknowledged the object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import obstore
from obstore.store import S3Store

from plaza.media.storage import check_key

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Config

_QUERY_KEYS = {"endpoint", "region"}


class S3Storage:
    def __init__(self, store: S3Store) -> None:
        self.store = store

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError("PLAZA_MEDIA_URL: s3://bucket/prefix names no bucket")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - _QUERY_KEYS
        if unknown:
            raise ValueError(f"PLAZA_MEDIA_URL: unknown parameters {sorted(unknown)}")
        config: S3Config = {}
        if "endpoint" in query:
            config["endpoint"] = query["endpoint"]
        if "region" in query:
            config["region"] = query["region"]
        client: ClientConfig = {}
        if query.get("endpoint", "").startswith("http://"):
            client["allow_http"] = True
        store = S3Store(
            parts.netloc,
            prefix=parts.path.strip("/") or None,
            config=config,
            client_options=client,
        )
        return cls(store)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await obstore.put_async(
            self.store, check_key(key), data, attributes={"Content-Type": content_type}
        )

    async def get(self, key: str) -> bytes | None:
        try:
            result = await obstore.get_async(self.store, check_key(key))
            return bytes(await result.bytes_async())
        except FileNotFoundError:
            return None

    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self.store, check_key(key))
        except FileNotFoundError:
            return False
        return True

    async def delete(self, key: str) -> None:
        await obstore.delete_async(self.store, check_key(key))

    async def close(self) -> None:
        return None

"""The fake Hub's storage service over HTTP: buckets, bucket files, upload and the file and tar streams."""

from __future__ import annotations

import gzip
import io
import tarfile

import httpx2
import pytest

PASSWORD = "Test-pass-1234"


def login(hub, username: str, password: str, realm_name: str | None = None) -> str:
    payload = {"grant_type": "password", "username": username, "password": password}
    if realm_name is not None:
        payload["realm_name"] = realm_name
    response = httpx2.post(f"{hub.url}/auth/token", json=payload)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def storage_client(hub, token: str | None) -> httpx2.Client:
    headers = {"accept-encoding": "identity"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return httpx2.Client(base_url=hub.storage_url, headers=headers, timeout=30)


@pytest.fixture
def admin(fake_hub):
    with storage_client(fake_hub, login(fake_hub, "admin", "start123")) as client:
        yield client


@pytest.fixture
def bucket(admin):
    response = admin.post("buckets", json={"name": "test-bucket"})
    assert response.status_code == 201
    return response.json()["data"]


def upload(client: httpx2.Client, bucket_id: str, *files: tuple[str, bytes], field: str = "file") -> httpx2.Response:
    parts = [(field, (path, content, "application/octet-stream")) for path, content in files]
    return client.post(f"buckets/{bucket_id}/upload", files=parts)


# -- root and authentication ----------------------------------------------------------------------


def test_root_public(fake_hub):
    with storage_client(fake_hub, None) as client:
        response = client.get("")

    assert response.status_code == 200
    assert response.json()["version"] == "0.14.0"
    assert isinstance(response.json()["timestamp"], int)


def test_root_invalid_token_500(fake_hub):
    with storage_client(fake_hub, "invalid-garbage-token") as client:
        response = client.get("")

    assert response.status_code == 500
    assert response.json()["message"] == "The JWT is not active."


def test_buckets_without_token_401(fake_hub):
    with storage_client(fake_hub, None) as client:
        response = client.get("buckets")

    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "code": "identity_unauthorized",
        "message": "Authentication required.",
        "issues": [],
    }


def test_unknown_storage_route_404(admin):
    response = admin.get("unknown-things")

    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Not Found"}


# -- buckets --------------------------------------------------------------------------------------


def test_bucket_create_record(fake_hub, admin):
    response = admin.post("buckets", json={"name": "data-1", "region": "eu-west-1", "unknown": 1})

    data = response.json()["data"]
    assert response.status_code == 201
    assert response.json()["meta"] == {}
    assert data["name"] == "data-1"
    assert data["region"] == "eu-west-1"
    assert data["actorId"] is None
    assert data["actorType"] is None
    assert data["realmId"] == fake_hub.state.known["master_realm_id"]
    assert "unknown" not in data


def test_bucket_create_unknown_realm_stored(admin):
    realm_id = "00000000-0000-4000-8000-000000000000"

    response = admin.post("buckets", json={"name": "ghost", "realmId": realm_id})

    assert response.status_code == 201
    assert response.json()["data"]["realmId"] == realm_id


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({}, "required", "Property name is invalid"),
        ({"name": "ab"}, "min_length", "Property name is invalid"),
        ({"name": "x" * 257}, "max_length", "Property name is invalid"),
        ({"name": 99}, "value_invalid", "Property name is invalid"),
        ({"name": "good", "region": "ab"}, "min_length", "Property region is invalid"),
    ],
)
def test_bucket_create_invalid(admin, body, code, message):
    response = admin.post("buckets", json=body)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert response.json()["message"] == message
    assert [issue["code"] for issue in response.json()["issues"]] == [code]


def test_bucket_create_two_invalid_properties(admin):
    response = admin.post("buckets", json={"name": 1, "region": 2})

    assert response.status_code == 400
    assert response.json()["message"] == "Properties name, region are invalid."
    assert [issue["path"] for issue in response.json()["issues"]] == [["name"], ["region"]]


def test_bucket_create_region_null_accepted(admin):
    response = admin.post("buckets", json={"name": "no-region", "region": None})

    assert response.status_code == 201
    assert response.json()["data"]["region"] is None


def test_bucket_create_without_permission(fake_hub):
    fake_hub.create_user("plain-user", PASSWORD)

    with storage_client(fake_hub, login(fake_hub, "plain-user", PASSWORD)) as client:
        response = client.post("buckets", json={"name": "mine"})

    assert response.status_code == 400
    assert response.json()["message"] == "The evaluation of permissions bucket_create failed"
    assert response.json()["issues"][0]["code"] == "permission_not_found"
    assert response.json()["issues"][0]["path"] == ["bucket_create"]


def test_bucket_create_other_realm_denied(fake_hub):
    realm = fake_hub.create_realm("other-realm")
    fake_hub.create_user("realm-user", PASSWORD, realm="other-realm", permissions=("bucket_create",))
    master_realm_id = fake_hub.state.known["master_realm_id"]

    with storage_client(fake_hub, login(fake_hub, "realm-user", PASSWORD, "other-realm")) as client:
        denied = client.post("buckets", json={"name": "theirs", "realmId": master_realm_id})
        own = client.post("buckets", json={"name": "ours"})

    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert own.status_code == 201
    assert own.json()["data"]["realmId"] == realm["id"]


def test_bucket_get_by_id_and_name(admin, bucket):
    by_id = admin.get(f"buckets/{bucket['id']}")
    by_name = admin.get("buckets/test-bucket")

    assert by_id.status_code == 200
    assert by_id.json()["data"] == bucket
    assert by_id.json()["meta"]["schema"]["name"] == "bucket"
    assert by_name.status_code == 200
    assert by_name.json()["data"]["id"] == bucket["id"]


def test_bucket_get_by_name_with_query_500(admin, bucket):
    response = admin.get("buckets/test-bucket", params={"fields": "id,name"})

    assert response.status_code == 500
    assert response.json()["message"] == 'invalid input syntax for type uuid: "test-bucket"'


def test_bucket_get_unknown_404(admin):
    by_id = admin.get("buckets/00000000-0000-4000-8000-000000000000")
    by_name = admin.get("buckets/no-such-bucket")

    assert by_id.status_code == 404
    assert by_id.json()["message"] == "The bucket was not found."
    assert by_name.status_code == 404


def test_bucket_list_filter_and_meta(admin, bucket):
    admin.post("buckets", json={"name": "another"})

    response = admin.get("buckets", params={"filter[name]": "test-bucket"})

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["data"]] == [bucket["id"]]
    assert response.json()["meta"]["total"] == 1
    assert response.json()["meta"]["limit"] == 50
    assert response.json()["meta"]["offset"] == 0
    assert response.json()["meta"]["schema"]["sorts"]["allowed"] == ["id", "updatedAt", "createdAt"]


def test_bucket_update_keeps_record(admin, bucket):
    response = admin.post(f"buckets/{bucket['id']}", json={"name": "renamed", "region": "somewhere"})

    assert response.status_code == 202
    assert response.json() == {"data": bucket, "meta": {}}


def test_bucket_delete_twice(admin, bucket):
    first = admin.delete(f"buckets/{bucket['id']}")
    second = admin.delete(f"buckets/{bucket['id']}")

    assert first.status_code == 202
    assert first.json()["data"] == bucket
    assert second.status_code == 404


def test_bucket_delete_removes_files(fake_hub, admin, bucket):
    file_id = upload(admin, bucket["id"], ("a.txt", b"aaa")).json()["data"][0]["id"]

    admin.delete(f"buckets/{bucket['id']}")

    assert admin.get(f"bucket-files/{file_id}").status_code == 404
    assert file_id not in fake_hub.state.file_contents


def test_bucket_delete_without_permission(fake_hub, bucket):
    fake_hub.create_user("plain-user", PASSWORD)

    with storage_client(fake_hub, login(fake_hub, "plain-user", PASSWORD)) as client:
        response = client.delete(f"buckets/{bucket['id']}")

    assert response.status_code == 400
    assert response.json()["issues"][0]["path"] == ["bucket_delete"]


# -- upload ---------------------------------------------------------------------------------------


def test_upload_paths_and_contents(fake_hub, admin, bucket):
    response = upload(admin, bucket["id"], ("a.txt", b"aaa"), ("dir/sub/b.csv", b"1,2\n"), field="anything")

    data = response.json()["data"]
    assert response.status_code == 201
    assert response.json()["meta"] == {"total": 2}
    assert [(item["path"], item["name"], item["directory"], item["size"]) for item in data] == [
        ("a.txt", "a.txt", ".", 3),
        ("dir/sub/b.csv", "b.csv", "dir/sub", 4),
    ]
    assert data[0]["actorType"] == "user"
    assert data[0]["actorId"] == fake_hub.state.known["admin_user_id"]
    assert data[0]["bucketId"] == bucket["id"]
    assert len(data[0]["hash"]) == 64
    assert "bucket" not in data[0]
    assert fake_hub.state.file_contents[data[1]["id"]] == b"1,2\n"


def test_upload_without_file_part(admin, bucket):
    response = admin.post(f"buckets/{bucket['id']}/upload", files=[("note", (None, b"plain field"))])

    assert response.status_code == 201
    assert response.json() == {"data": [], "meta": {"total": 0}}


def test_upload_same_path_twice_500(admin, bucket):
    upload(admin, bucket["id"], ("a.txt", b"first"))

    again = upload(admin, bucket["id"], ("a.txt", b"second"), ("new.txt", b"new"))
    listed = admin.get("bucket-files", params={"filter[bucketId]": bucket["id"]})

    assert again.status_code == 500
    assert again.json()["message"] == "An internal error occurred."
    assert [item["path"] for item in listed.json()["data"]] == ["a.txt"]


def test_upload_not_multipart_400(admin, bucket):
    response = admin.post(f"buckets/{bucket['id']}/upload", json={"file": "not multipart"})

    assert response.status_code == 400
    assert response.json()["message"] == "A multipart content-type header is required."


def test_upload_unknown_bucket_404(admin):
    response = upload(admin, "00000000-0000-4000-8000-000000000000", ("a.txt", b"a"))

    assert response.status_code == 404
    assert response.json()["message"] == "The bucket was not found."


def test_upload_without_token_401(fake_hub, bucket):
    with storage_client(fake_hub, None) as client:
        response = upload(client, bucket["id"], ("a.txt", b"a"))

    assert response.status_code == 401


# -- bucket files ---------------------------------------------------------------------------------


def test_bucket_files_query(admin, bucket):
    upload(admin, bucket["id"], ("a.txt", b"aaa"), ("dir/b.txt", b"bbbb"), ("c.bin", b"c"))

    ends_with = admin.get("bucket-files", params={"filter[bucketId]": bucket["id"], "filter[name]": "~.txt"})
    sorted_desc = admin.get("bucket-files", params={"filter[bucketId]": bucket["id"], "sort": "-name"})
    with_bucket = admin.get("bucket-files", params={"filter[bucketId]": bucket["id"], "include": "bucket"})
    projected = admin.get("bucket-files", params={"filter[bucketId]": bucket["id"], "fields": "name,size"})

    assert sorted(item["name"] for item in ends_with.json()["data"]) == ["a.txt", "b.txt"]
    assert [item["name"] for item in sorted_desc.json()["data"]] == ["c.bin", "b.txt", "a.txt"]
    assert with_bucket.json()["data"][0]["bucket"] == bucket
    assert projected.json()["data"][0] == {"name": "a.txt", "size": 3}


def test_bucket_file_get_with_include(admin, bucket):
    file_id = upload(admin, bucket["id"], ("a.txt", b"aaa")).json()["data"][0]["id"]

    plain = admin.get(f"bucket-files/{file_id}")
    included = admin.get(f"bucket-files/{file_id}", params={"include": "bucket"})

    assert plain.status_code == 200
    assert "bucket" not in plain.json()["data"]
    assert plain.json()["meta"]["schema"]["relations"]["allowed"] == ["bucket"]
    assert included.json()["data"]["bucket"] == bucket


def test_bucket_file_delete_embeds_bucket(fake_hub, admin, bucket):
    file_id = upload(admin, bucket["id"], ("a.txt", b"aaa")).json()["data"][0]["id"]

    first = admin.delete(f"bucket-files/{file_id}")
    second = admin.delete(f"bucket-files/{file_id}")

    assert first.status_code == 202
    assert first.json()["data"]["bucket"] == bucket
    assert second.status_code == 404
    assert second.json()["message"] == "The bucket-file was not found."
    assert file_id not in fake_hub.state.file_contents


def test_bucket_file_delete_by_uploader(fake_hub, bucket):
    fake_hub.create_user("uploader", PASSWORD)
    fake_hub.create_user("bystander", PASSWORD)

    with storage_client(fake_hub, login(fake_hub, "uploader", PASSWORD)) as uploader:
        file_id = upload(uploader, bucket["id"], ("mine.txt", b"x")).json()["data"][0]["id"]
        with storage_client(fake_hub, login(fake_hub, "bystander", PASSWORD)) as bystander:
            rejected = bystander.delete(f"bucket-files/{file_id}")
        accepted = uploader.delete(f"bucket-files/{file_id}")

    assert rejected.status_code == 400
    assert rejected.json()["issues"][0]["path"] == ["bucket_update"]
    assert accepted.status_code == 202


# -- streams --------------------------------------------------------------------------------------


def test_file_stream_plain(admin, bucket):
    file_id = upload(admin, bucket["id"], ("hello.txt", b"Hello!\n")).json()["data"][0]["id"]

    response = admin.get(f"bucket-files/{file_id}/stream")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == "attachment; filename=hello.txt"
    assert "content-encoding" not in response.headers
    assert response.content == b"Hello!\n"


def test_file_stream_gzip_when_accepted(admin, bucket):
    file_id = upload(admin, bucket["id"], ("data.bin", b"\x00\x01" * 1000)).json()["data"][0]["id"]

    with admin.stream("GET", f"bucket-files/{file_id}/stream", headers={"accept-encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())

    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == "application/octet-stream"
    assert gzip.decompress(raw) == b"\x00\x01" * 1000


def test_file_stream_unusual_name_encoded(admin, bucket):
    file_id = upload(admin, bucket["id"], ("my report.txt", b"x")).json()["data"][0]["id"]

    response = admin.get(f"bucket-files/{file_id}/stream")

    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''my%20report.txt"


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_file_stream_multi_megabyte(admin, bucket, encoding):
    content = bytes(range(256)) * (5 * 4096)  # 5 MiB
    file_id = upload(admin, bucket["id"], ("big.bin", content)).json()["data"][0]["id"]

    response = admin.get(f"bucket-files/{file_id}/stream", headers={"accept-encoding": encoding})

    assert response.status_code == 200
    assert response.content == content


def test_file_stream_unknown_404(admin):
    response = admin.get("bucket-files/00000000-0000-4000-8000-000000000000/stream")

    assert response.status_code == 404


def test_bucket_stream_tar(admin, bucket):
    files = {"a.txt": b"aaa", "dir/b.txt": b"b" * 600, "x" * 120 + ".txt": b"long name"}
    upload(admin, bucket["id"], *files.items())

    response = admin.get(f"buckets/{bucket['id']}/stream", headers={"accept-encoding": "gzip"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-tar"
    assert response.headers["content-disposition"] == f"attachment; filename={bucket['id']}.tar"
    assert "content-encoding" not in response.headers
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:") as archive:
        members = {member.name: archive.extractfile(member).read() for member in archive.getmembers()}
    assert members == files


def test_bucket_stream_length_like_hub(admin, bucket):
    empty = admin.get(f"buckets/{bucket['id']}/stream")
    upload(admin, bucket["id"], ("hello.txt", b"Hello, contract recorder!\n"))

    one_file = admin.get(f"buckets/{bucket['id']}/stream")

    # One header block, one data block and two zero blocks, without padding to a 10 KiB record.
    assert len(empty.content) == 1024
    assert len(one_file.content) == 2048


def test_bucket_stream_unknown_404(admin):
    response = admin.get("buckets/00000000-0000-4000-8000-000000000000/stream")

    assert response.status_code == 404
    assert response.json()["code"] == "entity_not_found"

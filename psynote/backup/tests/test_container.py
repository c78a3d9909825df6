"""The backup container: chunks that do not authenticate, come in another order, are cut
off or followed by more bytes never open; a wrong passphrase is named as such."""

import io
import os
import struct

import pytest

from psynote.backup import container

PASSPHRASE = "fictional container passphrase"


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch):
    monkeypatch.setattr(container, "CHUNK", 1024)


def sealed(data: bytes) -> bytes:
    out = io.BytesIO()
    writer = container.Writer(out, PASSPHRASE, "backup")
    for start in range(0, len(data), 700):  # writes that straddle chunk boundaries
        writer.write(data[start:start + 700])
    writer.close()
    return out.getvalue()


def opened(blob: bytes, passphrase: str = PASSPHRASE, step: int = 333) -> bytes:
    reader = container.Reader(io.BytesIO(blob), passphrase, "backup")
    parts = []
    while part := reader.read(step):
        parts.append(part)
    return b"".join(parts)


def chunks(blob: bytes) -> tuple[bytes, list[bytes]]:
    """The header part and each chunk with its length prefix."""
    (length,) = struct.unpack(">I", blob[8:12])
    position = 12 + length
    head, found = blob[:position], []
    while position < len(blob):
        (size,) = struct.unpack(">I", blob[position:position + 4])
        found.append(blob[position:position + 4 + size])
        position += 4 + size
    return head, found


@pytest.mark.parametrize("size", [0, 1, 1024, 2048, 5 * 1024 + 17])
def test_what_is_sealed_opens_unchanged(size):
    data = os.urandom(size)
    assert opened(sealed(data)) == data
    assert opened(sealed(data), step=-1) == data


def test_a_wrong_passphrase_is_named():
    with pytest.raises(container.BadContainer, match="Wrong passphrase"):
        opened(sealed(b"x" * 3000), passphrase="another fictional passphrase")


def test_a_cut_at_a_chunk_boundary_is_truncation():
    head, parts = chunks(sealed(os.urandom(4000)))
    assert len(parts) == 4
    with pytest.raises(container.BadContainer, match="truncated"):
        opened(head + b"".join(parts[:-1]))


def test_chunks_in_another_order_do_not_authenticate():
    head, parts = chunks(sealed(os.urandom(4000)))
    with pytest.raises(container.BadContainer, match="chunk 1 does not authenticate"):
        opened(head + parts[1] + parts[0] + b"".join(parts[2:]))


def test_bytes_after_the_last_chunk_are_refused():
    with pytest.raises(container.BadContainer, match="bytes after its last chunk"):
        opened(sealed(os.urandom(2000)) + b"\x00")


def test_an_edited_header_does_not_open():
    blob = bytearray(sealed(os.urandom(2000)))
    blob[blob.index(b'"chunk":') + 9] ^= 0x01  # 1024 -> 1124: the associated data changes
    with pytest.raises(container.BadContainer, match="does not authenticate"):
        opened(bytes(blob))


def test_another_file_is_not_taken_for_a_backup():
    with pytest.raises(container.BadContainer, match="not a Psynote backup"):
        opened(b"SQLite format 3\x00" + bytes(100))

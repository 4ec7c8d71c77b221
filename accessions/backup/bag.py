"""Writing a BagIt bag (RFC 8493) one file at a time, each hashed as it is written.

We write the bag ourselves rather than with the `bagit` library's make_bag, which moves a
finished folder into place and reads every file a second time to hash it: here each file is
hashed while it streams in, once. The library validates what we write (restore, the tests).

The bag is built in a hidden sibling folder and renamed to its destination only once the
tag manifest, the last file, is written: an interrupted export leaves no folder at the
destination that could pass for a complete bag.
"""

import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

CHUNK = 1024 * 1024
MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"


def encode_path(path: str) -> str:
    # RFC 8493 §2.1.3: only these three characters are percent-encoded in a manifest.
    return path.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D")


def decode_path(path: str) -> str:
    return path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def read_manifest(bag: Path) -> dict[str, str]:
    """The payload paths of a bag's SHA-256 manifest and their checksums; none if no bag."""
    manifest = bag / MANIFEST
    if not manifest.is_file():
        return {}
    entries = {}
    with manifest.open(encoding="utf-8") as lines:
        for line in lines:
            checksum, _, path = line.rstrip("\n").partition(" ")
            entries[decode_path(path.lstrip(" *"))] = checksum.lower()
    return entries


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class BagWriter:
    """A bag being written in a hidden sibling of its destination, finished by `close`."""

    def __init__(self, destination: Path):
        self.destination = destination
        self.work = destination.parent / f".{destination.name}.partial-{os.getpid()}"
        if self.work.exists():
            shutil.rmtree(self.work)
        (self.work / "data").mkdir(parents=True)
        self.octets = 0
        self.files = 0
        self._manifest = (self.work / MANIFEST).open("w", encoding="utf-8")

    def _target(self, path: str) -> Path:
        target = self.work / "data" / path
        # Names come from the database and the storage: never let one climb out of the bag.
        if not target.resolve().is_relative_to((self.work / "data").resolve()):
            raise ValueError(f"Refusing a payload path outside the bag: {path!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def _record(self, path: str, checksum: str, size: int) -> None:
        self._manifest.write(f"{checksum}  {encode_path('data/' + path)}\n")
        self.octets += size
        self.files += 1

    def add_stream(self, path: str, source) -> str:
        """Copy a binary file object to data/<path>, hashing it on the way; its SHA-256."""
        digest, size = hashlib.sha256(), 0
        with self._target(path).open("wb") as target:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                target.write(chunk)
                size += len(chunk)
        checksum = digest.hexdigest()
        self._record(path, checksum, size)
        return checksum

    @contextmanager
    def text_file(self, path: str) -> Iterator["_HashingText"]:
        """A text file at data/<path> that is written as UTF-8 and hashed as it is written."""
        with self._target(path).open("wb") as target:
            text = _HashingText(target)
            yield text
            text.flush()
        self._record(path, text.digest.hexdigest(), text.size)

    def add_written(self, path: str) -> str:
        """Take into the manifest a file another program wrote at data/<path> (a dump)."""
        target = self._target(path)
        checksum = file_sha256(target)
        self._record(path, checksum, target.stat().st_size)
        return checksum

    def add_link(self, path: str, existing: Path, checksum: str) -> bool:
        """Reuse a file of the previous bag when it still has the checksum; whether it did."""
        if not existing.is_file() or file_sha256(existing) != checksum:
            return False
        target = self._target(path)
        try:
            os.link(existing, target)
        except OSError:
            shutil.copyfile(existing, target)
        self._record(path, checksum, target.stat().st_size)
        return True

    def payload_path(self, path: str) -> Path:
        """Where data/<path> is being written, for a program that writes it itself."""
        return self._target(path)

    def close(self, info: dict[str, str]) -> Path:
        """Write the tag files, the tag manifest last, and move the bag to its destination."""
        self._manifest.close()
        info = {
            **info,
            "Bagging-Date": date.today().isoformat(),
            "Payload-Oxum": f"{self.octets}.{self.files}",
        }
        (self.work / "bagit.txt").write_text(
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
        )
        (self.work / "bag-info.txt").write_text(
            "".join(f"{label}: {value}\n" for label, value in info.items()), encoding="utf-8"
        )
        tags = [MANIFEST, "bagit.txt", "bag-info.txt"]
        (self.work / TAG_MANIFEST).write_text(
            "".join(f"{file_sha256(self.work / name)}  {name}\n" for name in tags),
            encoding="utf-8",
        )
        self._swap_into_place()
        return self.destination

    def _swap_into_place(self) -> None:
        previous = None
        if self.destination.exists():
            previous = self.destination.parent / f".{self.destination.name}.previous-{os.getpid()}"
            os.replace(self.destination, previous)
        os.replace(self.work, self.destination)
        if previous is not None:
            shutil.rmtree(previous)

    def abandon(self) -> None:
        """Remove the unfinished bag."""
        if not self._manifest.closed:
            self._manifest.close()
        shutil.rmtree(self.work, ignore_errors=True)


class _HashingText:
    """A write-only text stream that encodes to UTF-8, hashes and counts what it writes.

    Serializers write many short strings: they are gathered and written a megabyte at a time.
    """

    def __init__(self, target):
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0
        self._pending: list[str] = []
        self._pending_length = 0

    def write(self, text: str) -> int:
        self._pending.append(text)
        self._pending_length += len(text)
        if self._pending_length >= CHUNK:
            self.flush()
        return len(text)

    def flush(self) -> None:
        data = "".join(self._pending).encode("utf-8")
        self._pending, self._pending_length = [], 0
        self.digest.update(data)
        self.target.write(data)
        self.size += len(data)

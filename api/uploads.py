"""Turning an uploaded dataset (zip of the CSV contract, or JSON) into a validated `Dataset`.

Both forms are written as the contract's CSV files into a private staging folder and validated by
`models.load_dataset`, so a zip and a JSON upload get exactly the same checks and the same problems
(file, row = line in the CSV file with the header as line 1, column, message).

Zip uploads are opened defensively, never with `extractall`:
* at most `max_members` entries; no absolute paths, `..`, backslashes, drive letters, symlinks or
  other special files, no encrypted entries;
* the CSV files at the top level or inside one top folder, nothing nested deeper;
* only the contract's CSV file names, each once; macOS metadata (`__MACOSX/`, `.DS_Store`) and a
  README (`README`, `README.md`, `README.txt`, as the bundled dataset has) are skipped, never extracted;
* the declared uncompressed sizes must fit `max_uncompressed_bytes`, and the bytes actually
  inflated are counted while extracting (a member may not inflate beyond what it declares), so a zip
  bomb is stopped after at most the limit.
"""

from __future__ import annotations

import csv
import io
import json
import math
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from api.db import compress
from api.errors import ApiError
from models import Dataset, DatasetError, Problem, load_dataset, save_dataset
from models.contract import FILES
from models.plan_weeks import plan_week_problems
from models.provenance import METADATA_FILE
from models.summary import region_summary, totals

UPLOAD = "upload"
_CHUNK = 1 << 20
_IGNORED_PARTS = {"__MACOSX"}
_IGNORED_NAMES = {".ds_store", "readme", "readme.md", "readme.txt"}
#: A dataset's name: also never a path (no separators, no leading dot).
NAME_PATTERN = r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,63}$"


@dataclass
class StoredFiles:
    """A validated dataset in its canonical CSV form, ready to store."""

    dataset: Dataset
    files: dict[str, bytes]  # contract file name → gzip-compressed CSV
    rows: dict[str, int]
    size_bytes: int
    summary: dict


def extract_zip(data: bytes, target: Path, *, max_members: int, max_uncompressed_bytes: int) -> str | None:
    """Write the contract CSV files of zip `data` into folder `target`; return the top folder's name.

    Raises `DatasetError` (422) for a malformed or unsafe archive and `ApiError` 413 when its
    content is larger than `max_uncompressed_bytes`.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise DatasetError([Problem(UPLOAD, None, None, "not a valid zip archive")]) from None
    with archive:
        members = archive.infolist()
        if len(members) > max_members:
            raise DatasetError(
                [Problem(UPLOAD, None, None, f"too many entries ({len(members)}; at most {max_members})")]
            )
        files, top = _plan_members(members)
        declared = sum(info.file_size for info in files.values())
        if declared > max_uncompressed_bytes:
            raise _too_large(max_uncompressed_bytes)
        written = 0
        for name, info in files.items():
            written = _extract_member(archive, info, target / name, written, max_uncompressed_bytes)
    return top


def _plan_members(members: list[zipfile.ZipInfo]) -> tuple[dict[str, zipfile.ZipInfo], str | None]:
    """Check every entry's name and type; return contract file → entry, and the top folder."""
    problems: list[Problem] = []
    files: dict[str, zipfile.ZipInfo] = {}
    tops: set[str] = set()
    for info in members:
        raw = info.filename
        shown = raw if len(raw) <= 200 else raw[:200] + "..."
        parts = PurePosixPath(raw).parts
        reason = _unsafe_name(raw) or _unsafe_type(info)
        if reason:
            problems.append(Problem(shown, None, None, reason))
            continue
        if any(part in _IGNORED_PARTS for part in parts) or (not info.is_dir() and parts[-1].lower() in _IGNORED_NAMES):
            continue
        if info.is_dir():
            if len(parts) > 1:
                problems.append(
                    Problem(shown, None, None, "nested folder: put the CSV files in one top folder at most")
                )
            else:
                tops.add(parts[0])
            continue
        if len(parts) > 2:
            problems.append(Problem(shown, None, None, "nested folder: put the CSV files in one top folder at most"))
            continue
        if len(parts) == 2:
            tops.add(parts[0])
        name = parts[-1]
        if name == METADATA_FILE:  # the dataset's provenance (synthetic or not), read by the loader
            files[name] = info
        elif not name.lower().endswith(".csv"):
            problems.append(
                Problem(
                    shown,
                    None,
                    None,
                    f"not a CSV file: the archive may hold only the dataset's CSV files and {METADATA_FILE}",
                )
            )
        elif name not in FILES:
            problems.append(Problem(shown, None, None, f"not a file of the dataset contract ({', '.join(FILES)})"))
        elif name in files:
            problems.append(Problem(shown, None, None, "file appears more than once in the archive"))
        else:
            files[name] = info
    if len(tops) > 1:
        problems.append(Problem(UPLOAD, None, None, "several top folders: put the CSV files in one folder at most"))
    if any(len(PurePosixPath(info.filename).parts) == 1 for info in files.values()) and tops:
        problems.append(Problem(UPLOAD, None, None, "files both at the top level and in a folder"))
    if problems:
        raise DatasetError(problems)
    return files, (next(iter(tops)) if tops else None)


def _unsafe_name(name: str) -> str | None:
    if not name or "\x00" in name:
        return "empty or invalid entry name"
    if "\\" in name:
        return "entry name contains a backslash"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path in the archive"
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "path traversal ('..', '.' or an empty part) in the archive"
    return None


def _unsafe_type(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "encrypted entry"
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "symbolic link in the archive"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "special file in the archive"
    return None


def _extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, written: int, limit: int) -> int:
    """Copy one entry, counting the inflated bytes against its declared size and the total limit."""
    size = 0
    try:
        with archive.open(info) as source, path.open("wb") as sink:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                written += len(chunk)
                if written > limit:
                    raise _too_large(limit)
                if size > info.file_size:
                    raise DatasetError([Problem(info.filename[:200], None, None, "inflates beyond its declared size")])
                sink.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        message = "compression method not supported" if isinstance(exc, NotImplementedError) else "corrupt entry"
        raise DatasetError([Problem(info.filename[:200], None, None, message)]) from None
    return written


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"the archive's content is too large once uncompressed (limit {limit / 2**20:g} MB)",
        problems=[Problem(UPLOAD, None, None, "uncompressed size over the limit")],
    )


def write_json_payload(payload: object, target: Path) -> list[Problem]:
    """Write a JSON dataset (one list of records per contract file) as the contract's CSV files.

    Each record becomes a row: keys are columns (contract columns first, then any extra key, which
    the loader reports as an unexpected column), `null` an empty field, booleans `true`/`false`.
    Returns the problems of the JSON's shape (unknown tables, tables that are not lists of objects);
    a table left out is simply not written, and the loader reports its file as missing.
    """
    tables = {name.removesuffix(".csv"): name for name in FILES}
    if not isinstance(payload, dict):
        return [Problem(UPLOAD, None, None, f"expected a JSON object with the lists {', '.join(tables)}")]
    problems = [
        Problem(str(key)[:64], None, None, f"not a table of the dataset contract ({', '.join(tables)})")
        for key in payload
        if key not in tables
    ]
    for table, file in tables.items():
        if table not in payload:
            continue
        records = payload[table]
        if not isinstance(records, list):
            problems.append(Problem(file, None, None, f"'{table}' must be a list of records"))
            continue
        bad = [i for i, record in enumerate(records) if not isinstance(record, dict)]
        problems += [Problem(file, i + 2, None, "record must be a JSON object") for i in bad[:20]]
        if bad:
            continue
        columns = list(FILES[file].column_names)
        for record in records:
            columns += [str(key) for key in record if str(key) not in columns]
        with (target / file).open("w", encoding="utf-8", newline="") as sink:
            writer = csv.writer(sink, lineterminator="\n")
            writer.writerow(columns)
            for record in records:
                writer.writerow([_field(record.get(column)) for column in columns])
    return problems


def _field(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "nan"
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value)[:100]  # an object or a list: the loader reports the wrong type


def canonical_files(
    folder: Path, staging: Path, *, plan_start: str | None, problems: list[Problem] = ()
) -> StoredFiles:
    """Validate the dataset in `folder` and return it in canonical, compressed CSV form.

    `problems` found before (in the upload's shape) are reported together with the loader's; a given
    `plan_start` must be a week with capacity and demand rows (`models.plan_weeks`). The
    dataset is written back with `models.save_dataset` (the contract's exact format), so what is
    stored is always what the loader reads back.
    """
    try:
        dataset = load_dataset(folder, plan_start=plan_start)
    except DatasetError as exc:
        raise DatasetError([*problems, *exc.problems]) from None
    if plan_start is not None:  # the given first plan week must be one the data describes
        problems = [*problems, *plan_week_problems(dataset, plan_start, 1, source=UPLOAD, start_field="plan_start")]
    if problems:
        raise DatasetError(list(problems))
    canonical = save_dataset(dataset, staging / "canonical")
    files, rows, size = {}, {}, 0
    for name in FILES:
        data = (canonical / name).read_bytes()
        files[name] = compress(data)
        rows[name] = len(dataset.tables()[name.removesuffix(".csv")])
        size += len(data)
    if (canonical / METADATA_FILE).is_file():  # provenance is stored with the files and loaded back with them
        files[METADATA_FILE] = compress((canonical / METADATA_FILE).read_bytes())
        rows[METADATA_FILE] = 0
    return StoredFiles(dataset=dataset, files=files, rows=rows, size_bytes=size, summary=dataset_summary(dataset))


def dataset_summary(dataset: Dataset) -> dict:
    """What a client sees of a dataset: totals, regions, sizes and the weeks with capacity."""
    weeks = sorted(dataset.capacity["week"].unique())
    return {
        "totals": totals(dataset),
        "regions": region_summary(dataset).to_dict(orient="records"),
        "hospitals": len(dataset.hospitals),
        "procedures": len(dataset.procedures),
        "specialties": dataset.specialties,
        "capacity_weeks": {"first": weeks[0] if weeks else None, "last": weeks[-1] if weeks else None},
        "synthetic": dataset.synthetic,
    }

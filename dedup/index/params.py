"""The parameters an index is made with, and how they are compared with a later run's."""

from __future__ import annotations

from dedup.match.fingerprint import FingerprintConfig
from dedup.match.lsh import LSHConfig
from dedup.match.minhash import MinHashConfig
from dedup.match.shingle import ShingleConfig
from dedup.match.verify import MatchConfig
from dedup.story.cluster import ClusterConfig
from dedup.story.result import ScanConfig
from dedup.text.boilerplate import BoilerplateRules


def index_params(config: ScanConfig) -> dict[str, object]:
    """The parameters an index is made with; every later use must match them."""
    bands, rows = config.lsh.resolve(config.fingerprint.minhash.num_perm)
    fp = config.fingerprint
    return {
        "fingerprint": {
            "shingle_kind": fp.shingle.kind, "shingle_size": fp.shingle.size, "num_perm": fp.minhash.num_perm,
            "seed": fp.minhash.seed, "ignore_quotes": fp.ignore_quotes,
        },
        "lsh": {"bands": bands, "rows": rows, "min_hits": config.lsh.min_hits, "max_bucket": config.lsh.max_bucket,
                "threshold": config.lsh.threshold},
        "match": config.match.describe(),
        "cluster": config.cluster.describe(),
        "boilerplate_extra": list(config.boilerplate.extra),
    }


def config_from_params(params: dict, base: ScanConfig | None = None) -> ScanConfig:
    """The :class:`ScanConfig` an index was made with (reading options come from ``base``)."""
    base = base or ScanConfig()
    fp, lsh = params["fingerprint"], params["lsh"]
    return ScanConfig(
        fingerprint=FingerprintConfig(
            shingle=ShingleConfig(fp["shingle_kind"], fp["shingle_size"]),
            minhash=MinHashConfig(fp["num_perm"], fp["seed"]),
            ignore_quotes=fp["ignore_quotes"],
        ),
        lsh=LSHConfig(threshold=lsh["threshold"], bands=lsh["bands"], rows=lsh["rows"], min_hits=lsh["min_hits"],
                      max_bucket=lsh["max_bucket"]),
        match=MatchConfig(**params["match"]),
        cluster=ClusterConfig(**params["cluster"]),
        diff=base.diff,
        boilerplate=BoilerplateRules(tuple(params["boilerplate_extra"])),
        read=base.read,
    )


def differences(stored: dict, wanted: dict, prefix: str = "") -> list[str]:
    """Dotted names of the parameters that differ, with both values."""
    out = []
    for key in sorted(set(stored) | set(wanted)):
        a, b = stored.get(key), wanted.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key} is {a!r} in the index, {b!r} here")
    return out

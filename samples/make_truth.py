"""Write samples/truth.json: the simulated judge's latent quality for each bundled text.

The simulated judge (llm_provider, LLM_PROVIDER_SIMULATED_TRUTH_FILE) looks essays up by the
sha256 of the exact text it is shown, which is the text `huleedu assess` uploads (see
cli.io.extract). quality.csv holds the author's intended quality of each sample on the logit
scale, so the simulated ranking follows the essays' real differences in quality.

Run: .venv/bin/python samples/make_truth.py
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from cli.io.extract import extract_text

HERE = Path(__file__).resolve().parent


def truth() -> dict[str, float]:
    rows = csv.DictReader((HERE / "quality.csv").read_text().splitlines())
    return {
        hashlib.sha256(extract_text(HERE / row["file"]).encode("utf-8")).hexdigest():
            float(row["theta"])
        for row in rows
    }


if __name__ == "__main__":
    (HERE / "truth.json").write_text(json.dumps(truth(), indent=1, sort_keys=True) + "\n")
    print(HERE / "truth.json")

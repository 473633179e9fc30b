"""Builders of realistic facts for tests."""

from __future__ import annotations

import json
import uuid
from typing import Any


def sampling_fact(sample_id: str | None = None, *, verdict: str = "unqualified",
                  source: str = "urn:fangxin:test:lab", event_id: str | None = None,
                  entity_id: str = "91410202MA44XXXX1P") -> dict[str, Any]:
    """A ``foodsafety.sampling.reported`` CloudEvent as a producer would send it."""
    sample_id = sample_id or f"DC22410202{uuid.uuid4().hex[:8].upper()}"
    qualified = verdict == "qualified"
    return {
        "specversion": "1.0",
        "id": event_id or f"evt-{sample_id}",
        "source": source,
        "type": "foodsafety.sampling.reported",
        "time": "2023-06-12T10:15:00+08:00",
        "datacontenttype": "application/json",
        "data": {
            "sample_id": sample_id,
            "entity_id": entity_id,
            "lot_code": "https://id.gs1.org/01/06901234567892/10/LT2306",
            "product": "韭菜",
            "category": "蔬菜",
            "program": "supervisory",
            "sampled_at": "2023-06-01T09:30:00+08:00",
            "reported_at": "2023-06-12T10:00:00+08:00",
            "lab": "开封市食品药品检验所",
            "items": [{"analyte": "腐霉利", "value": "0.5" if not qualified else "0.05",
                       "unit": "mg/kg", "limit": "≤0.2", "qualified": qualified}],
            "verdict": verdict,
        },
    }


def as_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()

"""Valid, realistic facts from Longting District (Kaifeng), one per fact type, as sent.

The unified social credit codes are made up, with a correct GB 32100 check character.
"""

from __future__ import annotations

import copy
from typing import Any

SELLER_USCC = "92410202MA46P2LQ8M"  # 个体工商户 registered in Longting (410202)
CATERING_USCC = "91410202MA45K3R7XA"
MARKET_USCC = "91410202MA9F7D2W1T"
CANTEEN_USCC = "124102020051234564"  # 事业单位 (a school)
KITCHEN_USCC = "92410202MA47C8RT5K"

_EXAMPLES: dict[str, dict[str, Any]] = {
    "foodsafety.entity.registered": {
        "entity_id": SELLER_USCC,
        "name": "开封市龙亭区午朝门惠民蔬菜店",
        "kind": "seller",
        "township": "午朝门街道",
        "address": "开封市龙亭区午朝门街道中山路北段",
        "risk_grade": "B",
        "registered_at": "2021-03-15T09:00:00+08:00",
    },
    "foodsafety.inspection.recorded": {
        "inspection_id": "LTJC-2023-0412",
        "entity_id": CATERING_USCC,
        "inspected_at": "2023-04-12T10:20:00+08:00",
        "inspectors": ["41020221001", "41020221007"],
        "items": [
            {"code": "1.1", "key": True, "conforming": True},
            {"code": "3.2", "key": False, "conforming": False, "note": "从业人员健康证明过期"},
            {"code": "4.5", "key": False, "conforming": True},
        ],
        "result": "basically_conforming",
        "rectify_by": "2023-04-26T17:00:00+08:00",
    },
    "foodsafety.sampling.reported": {
        "sample_id": "DC23410202410001",
        "entity_id": MARKET_USCC,
        "lot_code": "https://id.gs1.org/01/06901234567892/10/LT2306",
        "product": "韭菜",
        "category": "蔬菜",
        "program": "supervisory",
        "sampled_at": "2023-06-01T09:30:00+08:00",
        "reported_at": "2023-06-12T10:00:00+08:00",
        "lab": "开封市食品药品检验所",
        "items": [{"analyte": "腐霉利", "value": "0.5", "unit": "mg/kg", "limit": "≤0.2",
                   "qualified": False},
                  {"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg", "limit": "≤0.02",
                   "qualified": True}],
        "verdict": "unqualified",
    },
    "foodsafety.complaint.received": {
        "complaint_id": "1231541020220230618001",
        "kind": "complaint",
        "channel": "12315",
        "received_at": "2023-06-18T14:05:00+08:00",
        "respondent": {"entity_id": CATERING_USCC},
        "summary": "在该店购买的卤肉有异味，食用后腹泻，要求退款赔偿",
        "complainant": {"name": "王某", "phone": "13937800000",
                        "address": "开封市龙亭区北道门街道", "real_name": True},
    },
    "foodsafety.summary.submitted": {
        "action": 9,
        "year": 2023,
        "unit": "market-regulation",
        "submitted_at": "2023-11-28T16:00:00+08:00",
        "document_ref": "龙市监〔2023〕41号",
    },
    "foodsafety.kitchen.alerted": {
        "entity_id": KITCHEN_USCC,
        "alert": "no_mask",
        "observed_at": "2023-07-03T11:42:10+08:00",
        "camera_id": "MCLL-CAM-03",
        "snapshot_ref": "oss://mingchu-lt/2023/07/03/MCLL-CAM-03-114210.jpg",
    },
}


DROP: Any = object()
"""Pass as a change to remove the field."""


def example(fact_type: str, **changes: Any) -> dict[str, Any]:
    """A fresh valid ``data`` of ``fact_type``, with top-level fields changed or ``DROP``-ped."""
    data = copy.deepcopy(_EXAMPLES[fact_type])
    for name, value in changes.items():
        if value is DROP:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def example_types() -> tuple[str, ...]:
    return tuple(_EXAMPLES)

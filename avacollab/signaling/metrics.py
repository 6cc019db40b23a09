"""/metrics in the Prometheus text exposition format (version 0.0.4)."""

from __future__ import annotations

from .core import SignalingCore


def render(core: SignalingCore) -> str:
    stats = core.stats
    lines = [
        "# HELP avacollab_rooms Rooms with at least one peer.",
        "# TYPE avacollab_rooms gauge",
        f"avacollab_rooms {len(core.rooms)}",
        "# HELP avacollab_peers Peers in rooms, including ones inside their resume grace.",
        "# TYPE avacollab_peers gauge",
        f"avacollab_peers {core.peer_count}",
        "# HELP avacollab_connections Open WebSocket connections.",
        "# TYPE avacollab_connections gauge",
        f"avacollab_connections {len(core.connections)}",
        "# HELP avacollab_frames_total Frames received from clients.",
        "# TYPE avacollab_frames_total counter",
        f"avacollab_frames_total {stats.frames}",
        "# HELP avacollab_relayed_total Offers, answers and candidates relayed.",
        "# TYPE avacollab_relayed_total counter",
        f"avacollab_relayed_total {stats.relayed}",
        "# HELP avacollab_joins_total Fresh joins.",
        "# TYPE avacollab_joins_total counter",
        f"avacollab_joins_total {stats.joins}",
        "# HELP avacollab_resumes_total Joins that resumed an earlier peer id.",
        "# TYPE avacollab_resumes_total counter",
        f"avacollab_resumes_total {stats.resumes}",
        "# HELP avacollab_refused_total Messages refused, by error code.",
        "# TYPE avacollab_refused_total counter",
    ]
    lines += [
        f'avacollab_refused_total{{code="{code}"}} {count}'
        for code, count in sorted(stats.refused.items())
    ]
    return "\n".join(lines) + "\n"

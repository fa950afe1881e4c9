"""Cast: the groups of faces the finder found in a new show; a person names each one (one name
for two groups merges them) or rejects it, and `toon cast export` makes the named faces a
training folder."""

from __future__ import annotations

import streamlit as st

from dashboard import resources
from indexer.cast import REST, name_groups, read_names, read_proposal

LAST = "cast_outcome"  # what the last click did, shown once

settings = resources.settings()
folder = settings.cast
if folder is None:
    raise ValueError("no cast to name: start the dashboard with --cast DIR (`toon cast propose`)")
proposal = read_proposal(folder)
groups = proposal["groups"]


def decide(group: str, reject: bool) -> None:
    """A button's callback: record one decision, the name as typed in the group's box (it runs
    before the page, so it reports through the session)."""
    name = "" if reject else st.session_state.get(f"cast-name-{group}", "").strip()
    try:
        if reject:
            name_groups(folder, {}, rejected=[group])
        elif not name:
            raise ValueError(f"{group}: type the character's name first")
        else:
            name_groups(folder, {group: name})
    except (OSError, ValueError) as exc:
        st.session_state[LAST] = ("error", str(exc).splitlines()[0])
    else:
        st.session_state[LAST] = ("saved", f"{group}: {name or 'rejected'}")


st.title("Name the cast")
decisions = read_names(folder)
named = sorted({v for v in decisions.values() if v})
shown = [g for g in groups if g != REST]
st.caption(
    f"{proposal['faces']} faces the finder found on {proposal['sampled_frames']} frames of "
    f"{proposal['episodes']} episodes, in {len(shown)} groups, largest first. Name each group "
    "after the character it shows (one name for two groups makes them one character), or "
    "reject it when it shows no face or no one to follow. Then:"
)
st.code(f"toon cast export {folder} --out DATA", "bash")
outcome, said = st.session_state.pop(LAST, (None, None))
if outcome == "saved":
    st.success(f"Saved {said}")
elif outcome == "error":
    st.error(f"Not saved: {said}")
st.write(
    f"Decided {sum(g in decisions for g in shown)} of {len(shown)} groups; cast so far: "
    f"{', '.join(named) or '(none)'}"
)
for g in shown:
    info = groups[g]
    with st.container(border=True):
        if g not in decisions:
            state = "undecided"
        else:
            state = decisions[g] or "rejected"
        st.subheader(f"{g}: {state}")
        st.caption(f"{info['faces']} faces in {info['tracks']} tracks, {info['episodes']} episodes")
        st.image(str(folder / "groups" / f"{g}.png"))
        left, middle, right = st.columns([3, 1, 1])
        left.text_input(
            "Character",
            value=decisions.get(g) or "",
            key=f"cast-name-{g}",
            placeholder="a name, e.g. bunny",
        )
        middle.button("Name", key=f"cast-save-{g}", on_click=decide, args=(g, False))
        right.button("Reject", key=f"cast-reject-{g}", on_click=decide, args=(g, True))

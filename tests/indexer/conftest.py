from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def indexer():  # noqa: ANN201
    """The shipped cascades and model, loaded once."""
    from cascades.finder import SHIPPED
    from indexer.library import Indexer
    from indexer.pipeline import PassSettings
    from model.store import DEFAULT

    return Indexer.load(DEFAULT, SHIPPED, PassSettings())

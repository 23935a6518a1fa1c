"""The generative answer follows the route (a real OpenAI-protocol server on loopback): a question naming one
document sends that document alone and says so; a listed question sends each listed document with its item."""

from __future__ import annotations

from conftest import Scenario, generative

from app.answer.ask import ask

KING_Q = ("Consider the Promotion Agreement between Depomed, Inc. and King Pharmaceuticals, Inc. for Glumetza; "
          "What is the governing law for this contract?")
LISTED_Q = ("Which of the following agreements contain a cap on liability? (1) Promotion Agreement between Depomed, "
            "Inc. and King Pharmaceuticals, Inc.; (2) Marketing and Transportation Services Agreement between "
            "Purolator Courier Ltd. and Parcelway Courier Systems Canada Ltd.")


def test_a_named_document_is_the_only_one_sent(samples_home, llm):
    s = generative(samples_home, llm)
    llm.push(Scenario(content=["New York law governs [D1 p.30]."]))
    ans = ask(s, KING_Q)
    msgs = llm.requests[-1]["json"]["messages"]
    system, user = msgs[0]["content"], msgs[-1]["content"]
    assert "## D1 · Promotion Agreement · KINGPHARMACEUTICALS" in system and "## D2" not in system
    assert user.startswith(KING_Q) and "names one document: D1 Promotion Agreement. Answer from it alone." in user
    assert ans.route.mode == "named" and [c.file[:4] for c in ans.coverage if c.tokens] == ["KING"]
    assert ans.to_json()["route"]["reason"].startswith("reading: Promotion Agreement")


def test_each_listed_document_is_sent_and_named_in_the_instruction(samples_home, llm):
    s = generative(samples_home, llm)
    llm.push(Scenario(content=["(1) Yes [D2 p.20]. (2) Yes [D1 p.5]."]))
    ans = ask(s, LISTED_Q, budget=8000)
    msgs = llm.requests[-1]["json"]["messages"]
    system, user = msgs[0]["content"], msgs[-1]["content"]
    assert "## D1 · Marketing and Transportation" in system and "## D2 · Promotion Agreement" in system
    assert "## D3" not in system
    assert "(1) → D2 Promotion Agreement; (2) → D1 Marketing and Transportation Services Agreement" in user
    assert "Answer for each listed document in turn" in user
    assert ans.route.mode == "listed"


def test_a_configured_model_may_describe_documents(samples_home, llm, tmp_path):
    """Descriptions are optional profile text: written by the model from the profile, saved, searchable."""
    import shutil

    from app.answer.describe import describe
    from app.library import documents as library

    home = tmp_path / "home"
    shutil.copytree(samples_home.home, home)
    library.forget_stores()
    s = generative(samples_home.replace(home=home), llm)
    llm.push(Scenario(content=["A promotion agreement under which King co-promotes Depomed's product. ",
                               "It runs for several years. A third sentence is dropped."]))
    done = describe(s, ["KINGPHARMACEUTICALSINC_08_09_2006-EX-10.1-PROMOTION AGREEMENT.PDF"])
    assert len(done) == 1
    sent = llm.requests[-1]["json"]["messages"][0]["content"]
    assert "<documents>" in sent and "Depomed, Inc." in sent
    library.forget_stores()
    king = next(d for d in library.list_documents(s) if d.file.startswith("KING"))
    assert king.profile.description == ("A promotion agreement under which King co-promotes Depomed's product. "
                                        "It runs for several years.")
    assert king.chunk_header.startswith("Promotion Agreement")  # the chunks' vectors are untouched
    import pytest

    with pytest.raises(ValueError, match="no model is configured"):
        describe(samples_home.replace(home=home), None)
    library.forget_stores()

"""Answer quality on the fixed question set (`bench.quality_set`): per language, the hit rate (an
in-scope question answered from the expected document, in the visitor's language) and the
correct-refusal rate (an out-of-scope question declined, drawing on no document).

`python -m bench.answer_quality` prints the table and every miss; `make bench` adds the rows.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.quality_set import KNOWLEDGE_SETS, QUESTIONS, Question
from bench.report import Row
from widget.agent.core import AgentConfig, AgentReply, RuleAgent
from widget.agent.knowledge import KnowledgeIndex, chunk_document

GOAL = 0.9
_CONFIG = AgentConfig(agent_id="ag_quality", name="the company", prompt="", welcome_message="")


@dataclass(frozen=True, slots=True)
class Outcome:
    question: Question
    reply: AgentReply

    @property
    def answered(self) -> bool:
        return bool(self.reply.sources)

    @property
    def correct(self) -> bool:
        expected = self.question.expected
        if self.reply.language != self.question.language:
            return False
        if not expected:
            return not self.answered
        return any(source.document in expected for source in self.reply.sources)


@dataclass(frozen=True, slots=True)
class LanguageScore:
    language: str
    hits: int
    in_scope: int
    refusals: int
    out_of_scope: int

    @property
    def hit_rate(self) -> float:
        return self.hits / self.in_scope if self.in_scope else 1.0

    @property
    def refusal_rate(self) -> float:
        return self.refusals / self.out_of_scope if self.out_of_scope else 1.0


def indexes() -> dict[str, KnowledgeIndex]:
    return {
        name: KnowledgeIndex(
            chunk for document, content in documents for chunk in chunk_document(document, content)
        )
        for name, documents in KNOWLEDGE_SETS.items()
    }


def run(questions: Sequence[Question] = QUESTIONS) -> list[Outcome]:
    built = indexes()
    agent = RuleAgent()
    return [Outcome(q, agent.respond(_CONFIG, [], q.text, built[q.knowledge])) for q in questions]


def scores(outcomes: Sequence[Outcome]) -> list[LanguageScore]:
    languages = list(dict.fromkeys(o.question.language for o in outcomes))

    def count(language: str, in_scope: bool, test: Callable[[Outcome], bool]) -> int:
        return sum(
            1
            for o in outcomes
            if o.question.language == language and bool(o.question.expected) == in_scope and test(o)
        )

    return [
        LanguageScore(
            language,
            hits=count(language, True, lambda o: o.correct),
            in_scope=count(language, True, lambda o: True),
            refusals=count(language, False, lambda o: o.correct),
            out_of_scope=count(language, False, lambda o: True),
        )
        for language in languages
    ]


def rows(outcomes: Sequence[Outcome]) -> list[Row]:
    table: list[Row] = []
    for score in scores(outcomes):
        table.append(
            Row(
                "answers",
                f"{score.language}: hit rate (%), {score.in_scope} questions",
                100 * score.hit_rate,
                None,
                None,
                "≥ 90%",
                score.hit_rate >= GOAL,
                note=f"{score.hits}/{score.in_scope}",
            )
        )
        table.append(
            Row(
                "answers",
                f"{score.language}: correct refusals (%), {score.out_of_scope} questions",
                100 * score.refusal_rate,
                None,
                None,
                "≥ 90%",
                score.refusal_rate >= GOAL,
                note=f"{score.refusals}/{score.out_of_scope}",
            )
        )
    return table


def misses(outcomes: Sequence[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        if not o.correct:
            got = ", ".join(s.document for s in o.reply.sources) or "no source"
            wanted = " or ".join(o.question.expected) or "a refusal"
            lines.append(
                f"[{o.question.language}] {o.question.text!r}: expected {wanted}, got {got} "
                f"(reply in {o.reply.language})"
            )
    return lines


def main() -> int:
    from bench.report import render_table

    outcomes = run()
    print(render_table(rows(outcomes)))
    for line in misses(outcomes):
        print(line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

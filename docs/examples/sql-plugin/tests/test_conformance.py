"""rest-em's conformance kit on sql_exec, with the verifier's own bad examples (writes, ATTACH, a
constant answer, an endless recursive CTE) and two more here."""

from rest_verify import Problem
from rest_verify.testing import VerifierSuite

from rest_em_sql import SqlExecVerifier
from rest_em_sql.verifier import OLDER


class TestConformance(VerifierSuite):
    verifier = SqlExecVerifier()
    deadline = 5.0
    bad_examples = SqlExecVerifier.bad_examples + [
        (Problem(id="sql-insert", prompt="Who is older than 40?", reference=OLDER),
         "```sql\nINSERT INTO people VALUES ('Mallory', 99, 'Nowhere')\n```"),
        (Problem(id="sql-cross-join", prompt="Who is older than 40?", reference=OLDER),
         "SELECT count(*) FROM people a, people b, people c, people d, people e, people f, people g, "
         "people h, people i, people j, people k, people l, people m"),
    ]

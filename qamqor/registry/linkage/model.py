"""The Splink model for the registry: comparisons, blocking rules and how its parameters are trained.

Each comparison carries prior m and u probabilities, so that a file too small to train on (a few rows typed by
hand) is still linked sensibly; on a real file u is estimated by random sampling and m by expectation
maximisation on blocked pairs, without labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from splink import block_on
from splink.blocking_rule_library import CustomRule

# Jaro-Winkler on name keys: above HIGH a typo or a transliteration variant the key did not fold; above LOW a
# related spelling.
HIGH, LOW = 0.92, 0.80
# The fixed weight (bits of evidence) against a pair that looks like two relatives: see _relatives.
RELATIVES_WEIGHT = 25


def _level(sql, label, m, u, **extra):
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u, **extra}


def _null(col):
    return {"sql_condition": f"{col}_l IS NULL OR {col}_r IS NULL", "label_for_charts": "missing",
            "is_null_level": True}


def _name(col, other, what, exact_u, present):
    levels = [
        _null(col),
        _level(f"{col}_l = {col}_r", "exact key", 0.85, exact_u, tf_adjustment_column=col),
        _level(f"jaro_winkler_similarity({col}_l, {col}_r) >= {HIGH}", f"Jaro-Winkler >= {HIGH}", 0.08, 0.003),
    ]
    if other in present:
        # Given name and surname written in each other's place ("Ляззат Кусаинова" read surname first). Both ways:
        # a Kazakh surname is often a given name with an ending (Төлеген, Төлегенов), so one way alone would take
        # a father's given name for his son's surname. One event, so it is scored once, with the surname; the
        # given name's level has weight 0.
        swapped = (f"jaro_winkler_similarity({col}_l, {other}_r) >= {HIGH} "
                   f"AND jaro_winkler_similarity({other}_l, {col}_r) >= {HIGH}")
        if col == "sn":
            levels.append(_level(swapped, "swapped with the given name", 0.02, 0.0005))
        else:
            levels.append(_level(swapped, "swapped with the surname (scored there)", 0.001, 0.001,
                                 fix_m_probability=True, fix_u_probability=True))
    levels += [
        _level(f"jaro_winkler_similarity({col}_l, {col}_r) >= {LOW}", f"Jaro-Winkler >= {LOW}", 0.03, 0.02),
        # "L." against "Lyazzat".
        _level(f"(length({col}_l) = 1 OR length({col}_r) = 1) AND substr({col}_l, 1, 1) = substr({col}_r, 1, 1)",
               "initial", 0.01, 0.03),
        _level("ELSE", "different", 0.03, 0.95),
    ]
    return {"output_column_name": col, "comparison_description": what, "comparison_levels": levels}


def near(a: str, b: str, edits: int = 1) -> str:
    """SQL: a and b differ by at most `edits` typed characters (one: or two adjacent ones swapped).

    Damerau-Levenshtein is fifty times slower than Hamming distance in DuckDB, and almost every candidate pair
    differs a lot; CASE evaluates its branches only for the rows that reach them, so the costly distance runs on
    the few pairs a cheap test has not settled.
    """
    if edits == 1:
        same_length = (f"hamming({a}, {b}) <= 1 OR (CASE WHEN hamming({a}, {b}) = 2 "
                       f"THEN damerau_levenshtein({a}, {b}) = 1 ELSE false END)")
    else:
        same_length = f"hamming({a}, {b}) <= {edits}"
    return (f"(CASE WHEN length({a}) = length({b}) THEN {same_length} "
            f"WHEN abs(length({a}) - length({b})) <= {edits} THEN levenshtein({a}, {b}) <= {edits} ELSE false END)")


def _birth_date():
    y = ("substr(dob_l, 1, 4)", "substr(dob_r, 1, 4)")
    m = ("substr(dob_l, 5, 2)", "substr(dob_r, 5, 2)")
    d = ("substr(dob_l, 7, 2)", "substr(dob_r, 7, 2)")
    return {"output_column_name": "dob", "comparison_description": "birth date", "comparison_levels": [
        _null("dob"),
        _level("dob_l = dob_r", "exact", 0.85, 4e-5),
        _level(f"{y[0]} = {y[1]} AND {m[0]} = {d[1]} AND {d[0]} = {m[1]}", "day and month swapped", 0.02, 1e-5),
        _level(near("dob_l", "dob_r"), "one digit differs or two swapped", 0.05, 5e-4),
        _level(f"({y[0]} = {y[1]} AND {m[0]} = {m[1]}) OR ({y[0]} = {y[1]} AND {d[0]} = {d[1]}) "
               f"OR ({m[0]} = {m[1]} AND {d[0]} = {d[1]})", "one of year, month, day differs", 0.04, 0.003),
        _level(f"{y[0]} = {y[1]}", "same year", 0.02, 0.01),
        _level("ELSE", "different", 0.02, 0.987),
    ]}


def _number(col, what, exact_u):
    return {"output_column_name": col, "comparison_description": what, "comparison_levels": [
        _null(col),
        _level(f"{col}_l = {col}_r", "exact", 0.9, exact_u),
        _level(near(f"{col}_l", f"{col}_r"), "one digit differs or two swapped", 0.05, exact_u * 20),
        _level(near(f"{col}_l", f"{col}_r", 2), "two digits differ", 0.02, exact_u * 200),
        _level("ELSE", "different", 0.03, 1 - exact_u * 221),
    ]}


def _place(present: set[str]) -> dict | None:
    """Where a person lives and how to reach them, as one comparison.

    Members of one household share address, phone, postcode and locality; scored as independent comparisons the
    four would add up to more evidence than a different given name, birth date and IIN take away, and a mother
    would be merged with her children. As one comparison they count once, at the level of the strongest agreement.
    """
    have = [c for c in ("addr", "phone", "pc", "loc") if c in present]
    if not have:
        return None
    same_addr = "(addr_l = addr_r OR addr_words_l = addr_words_r)"
    near_addr = ("(jaro_winkler_similarity(addr_l, addr_r) >= 0.9 "
                 "OR contains(addr_l, addr_r) OR contains(addr_r, addr_l))")
    area = " OR ".join(f"{c}_l = {c}_r" for c in ("pc", "loc") if c in present)
    levels = [{"sql_condition": " AND ".join(f"({c}_l IS NULL OR {c}_r IS NULL)" for c in have),
               "label_for_charts": "missing", "is_null_level": True}]
    if "addr" in present and "phone" in present:
        levels.append(_level(f"{same_addr} AND phone_l = phone_r", "same address and phone", 0.3, 1e-5))
    if "addr" in present and "pc" in present:
        levels.append(_level(f"{same_addr} AND pc_l = pc_r", "same address and postcode", 0.3, 5e-5))
    if "addr" in present:
        levels.append(_level(same_addr, "same address", 0.15, 1e-4))
    if "phone" in present:
        levels.append(_level("phone_l = phone_r", "same phone", 0.1, 1e-5))
    if "addr" in present and area:
        levels.append(_level(f"CASE WHEN {area} THEN {near_addr} ELSE false END", "similar address in the same area",
                             0.05, 1e-4))
    if "addr" in present:
        levels.append(_level(near_addr, "similar address", 0.03, 1e-3))
    if "pc" in present:
        levels.append(_level("pc_l = pc_r", "same postcode", 0.03, 0.005))
        levels.append(_level(near("pc_l", "pc_r"), "postcode one character off", 0.01, 0.02))
    if "loc" in present:
        levels.append(_level(f"loc_l = loc_r OR jaro_winkler_similarity(loc_l, loc_r) >= 0.88", "same locality",
                             0.01, 0.05))
    levels.append(_level("ELSE", "different", 0.02, 0.9))
    return {"output_column_name": "place", "comparison_description": "address, phone, postcode, locality",
            "comparison_levels": levels}


def _relatives(present: set[str]) -> dict | None:
    """Relatives: one surname, one household, two given names.

    Brothers, sisters and twins share surname, patronymic, address and phone, and often a birth date or one a
    digit away; scored as independent comparisons these agree so often that they outweigh a different given name
    and IIN, and a family would be merged into one person. This comparison says what the independence assumption
    cannot: the same surname with a given name more than a typo away, and no identity number in common, is two
    people. Its weight is fixed, not trained.
    """
    if not {"sn", "gn"} <= present:
        return None
    shared = " OR ".join(f"coalesce({near(f'{c}_l', f'{c}_r')}, false)" for c in ("iin", "idn") if c in present)
    # "Another given name": more than one typo apart, and neither name part of the other ("Ляззат" and "Ляззат
    # Сериковна"). Jaro-Winkler alone would call Әлішер and Әлібек, or Айару and Айнұр, similar: Kazakh names share
    # their first syllables. CASE, because AND does not stop early in DuckDB: the distances run only on the
    # pairs that share a surname.
    other = (f"CASE WHEN sn_l = sn_r AND length(gn_l) > 1 AND length(gn_r) > 1 THEN "
             f"jaro_winkler_similarity(gn_l, gn_r) < {HIGH} AND NOT {near('gn_l', 'gn_r')} "
             "AND NOT contains(gn_l, gn_r) AND NOT contains(gn_r, gn_l)"
             + (f" AND NOT ({shared})" if shared else "") + " ELSE false END")
    veto = 2.0 ** -RELATIVES_WEIGHT
    return {"output_column_name": "relatives", "comparison_description": "relatives", "comparison_levels": [
        {"sql_condition": "sn_l IS NULL OR sn_r IS NULL OR gn_l IS NULL OR gn_r IS NULL",
         "label_for_charts": "missing", "is_null_level": True},
        _level(other, "same surname, another given name, no identity number in common", 1e-3 * veto, 1e-3,
               fix_m_probability=True, fix_u_probability=True),
        _level("ELSE", "not relatives", 1 - 1e-3 * veto, 1 - 1e-3, fix_m_probability=True, fix_u_probability=True),
    ]}


def _simple(col, what, exact, fuzzy_sql, fuzzy_label, fuzzy):
    return {"output_column_name": col, "comparison_description": what, "comparison_levels": [
        _null(col),
        _level(f"{col}_l = {col}_r", "exact", *exact),
        _level(fuzzy_sql, fuzzy_label, *fuzzy),
        _level("ELSE", "different", 1 - exact[0] - fuzzy[0], 1 - exact[1] - fuzzy[1]),
    ]}


def comparisons(present: set[str]) -> list[dict]:
    """The comparisons for the prepared columns that hold values."""
    out = []
    if "sn" in present:
        out.append(_name("sn", "gn", "surname", 0.002, present))
    if "gn" in present:
        out.append(_name("gn", "sn", "given name", 0.01, present))
    if "pn" in present:
        out.append(_simple("pn", "patronymic", (0.85, 0.01), f"jaro_winkler_similarity(pn_l, pn_r) >= {HIGH}",
                           "similar", (0.1, 0.01)))
    if "dob" in present:
        out.append(_birth_date())
    if "sex" in present:
        out.append({"output_column_name": "sex", "comparison_description": "sex", "comparison_levels": [
            _null("sex"), _level("sex_l = sex_r", "same", 0.98, 0.5), _level("ELSE", "different", 0.02, 0.5)]})
    if "iin" in present:
        out.append(_number("iin", "IIN", 1e-6))
    if "idn" in present:
        out.append(_number("idn", "identity number", 1e-6))
    place = _place(present)
    if place:
        out.append(place)
    relatives = _relatives(present)
    if relatives:
        out.append(relatives)
    return out


@dataclass(frozen=True)
class Rule:
    columns: tuple[str, ...]  # the prepared columns it needs
    exprs: tuple[str, ...]  # what must be equal on both sides
    sql: str | None = None  # or a join condition of its own, on l. and r.
    unless: tuple[str, ...] = ()  # used only when these columns are empty (another rule covers them)

    def creator(self):
        return CustomRule(self.sql) if self.sql else block_on(*self.exprs)


def _rule(*exprs, needs=None, sql=None, unless=()):
    return Rule(tuple(needs or exprs), tuple(exprs), sql, tuple(unless))


# Candidate pairs: a pair is scored when any rule puts it in one block. Each rule covers what the others miss
# (an IIN typo, a swapped birth date, a misspelt name); none makes blocks that grow with the square of a
# common name alone.
PREDICTION_RULES = [
    _rule("iin"),
    _rule("idn"),
    _rule("phone"),
    _rule("sn", "dob"),
    _rule("gn", "dob"),
    # Same names: in a national registry "Ахметов Ерлан" blocks are large, so the birth dates must share the year
    # or the day and month (or one be missing) for the pair to be scored.
    _rule(needs=("sn", "gn", "dob"), sql="l.sn = r.sn AND l.gn = r.gn AND (l.dob IS NULL OR r.dob IS NULL "
          "OR l.dob_y = r.dob_y OR substr(l.dob, 5, 4) = substr(r.dob, 5, 4))"),
    _rule("sn", "gn", unless=("dob",)),
    _rule(needs=("sn", "gn"), sql="l.sn = r.gn AND l.gn = r.sn"),
    # A one-digit IIN typo leaves one half whole; the first half is the birth date, so it needs a name too.
    _rule("substr(iin, 7, 6)", needs=("iin",)),
    _rule("substr(iin, 1, 6)", "substr(sn, 1, 1)", needs=("iin", "sn")),
    _rule("dob", "substr(sn, 1, 2)", "substr(gn, 1, 1)", needs=("dob", "sn", "gn")),
    _rule("pc", "sn"),
    _rule("pc", "gn"),
    _rule("pc", "dob"),
    _rule("addr", "dob_y", needs=("addr", "dob")),
    _rule("loc", "dob"),
]

# Expectation maximisation runs on pairs from these rules; each trains every comparison it does not block on.
TRAINING_RULES = [
    _rule("sn", "gn"),
    _rule("dob"),
    _rule("iin"),
    _rule("idn"),
    _rule("pc"),
]

# Rules that almost only find true matches, used to estimate how many pairs match at all.
DETERMINISTIC_RULES = [
    _rule("iin"),
    _rule("idn"),
    _rule("sn", "gn", "dob"),
]


def usable(rules: list[Rule], present: set[str]) -> list[Rule]:
    return [r for r in rules if set(r.columns) <= present and not set(r.unless) & present]

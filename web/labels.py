"""Names shown for stored codes (organization kinds, member roles, reactions). The codes stay in Spanish-free
ASCII in the database; people see these message ids translated. Registered as Jinja filters by create_app."""

from __future__ import annotations

from deliberate.errors import N_

KIND_LABELS = {
    "comedor_popular": N_("Community kitchen (comedor popular)"),
    "vaso_de_leche": N_("Glass of Milk committee (vaso de leche)"),
    "junta_vecinal": N_("Neighbourhood council (junta vecinal)"),
    "mujeres": N_("Women's organization"),
    "juventud": N_("Youth organization"),
    "mercado": N_("Market association"),
    "cultural": N_("Cultural organization"),
    "otra": N_("Other organization"),
}

ROLE_LABELS = {
    "owner": N_("owner"),
    "admin": N_("administrator"),
    "member": N_("member"),
    "moderator": N_("moderator"),
    "official": N_("council official"),
    "operator": N_("node operator"),
}

REACTION_LABELS = {
    "apoyo": N_("Support"),
    "de_acuerdo": N_("Agree"),
    "en_desacuerdo": N_("Disagree"),
    "gracias": N_("Thanks"),
    "pregunta": N_("Question"),
}


def kind_label(code: str) -> str:
    return KIND_LABELS.get(code, code)


def role_label(code: str) -> str:
    return ROLE_LABELS.get(code, code)


def reaction_label(code: str) -> str:
    return REACTION_LABELS.get(code, code)


FILTERS = {"kind_label": kind_label, "role_label": role_label, "reaction_label": reaction_label}

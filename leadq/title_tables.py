"""The data behind ``leadq.titles``: vocabularies, abbreviations and patterns.

Patterns are regular-expression fragments over a *normalised* title (see
``leadq.titles.normalise``): lower case, accents removed, punctuation turned into spaces,
``&`` spelled ``and``, abbreviations expanded (``Sr.`` → ``senior``, ``VP Eng`` → ``vp
engineer``). Each fragment is wrapped in word boundaries when compiled; ``\\w*`` in a
fragment accepts a word's endings (``engineer\\w*``: engineer, engineers, engineering),
and German compounds whose first part names a function (``Vertriebsleiter``).
"""

from __future__ import annotations

from typing import Final

from schemas.traits import DEPARTMENTS, SENIORITIES

__all__ = ["DEPARTMENTS", "SENIORITIES"]  # the vocabulary, defined with the rules contract

#: Whole-word abbreviations and spellings → their canonical words.
ABBREVIATIONS: Final[dict[str, str]] = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "jnr": "junior",
    "mgr": "manager",
    "mngr": "manager",
    "mgmt": "management",
    "dir": "director",
    "eng": "engineer",
    "engr": "engineer",
    "engg": "engineering",
    "exec": "executive",
    "acct": "account",
    "mktg": "marketing",
    "mkt": "marketing",
    "mkting": "marketing",
    "ops": "operations",
    "dev": "developer",
    "devs": "developers",
    "biz": "business",
    "bd": "business development",
    "bdr": "business development representative",
    "sdr": "sales development representative",
    "ae": "account executive",
    "csm": "customer success manager",
    "tam": "technical account manager",
    "pm": "product manager",
    "pmm": "product marketing manager",
    "tpm": "technical program manager",
    "swe": "software engineer",
    "sde": "software engineer",
    "sre": "site reliability engineer",
    "qa": "quality assurance",
    "hrbp": "hr business partner",
    "asst": "assistant",
    "assoc": "associate",
    "coord": "coordinator",
    "spec": "specialist",
    "rep": "representative",
    "reps": "representatives",
    "admin": "administrator",
    "sysadmin": "systems administrator",
    "dba": "database administrator",
    "infosec": "information security",
    "gm": "general manager",
    "md": "managing director",
    "pres": "president",
    "svp": "vp",
    "evp": "vp",
    "avp": "vp",
    "rvp": "vp",
    "gvp": "vp",
    "vpe": "vp engineer",
    "tech": "technology",
    "info": "information",
    "intl": "international",
    "govt": "government",
    "mfg": "manufacturing",
    "comms": "communications",
    "cust": "customer",
    "svc": "service",
    "svcs": "services",
    "ml": "machine learning",
    "bi": "business intelligence",
    "cofounder": "co founder",
    "geschaeftsfuehrer": "geschaftsfuhrer",
    "geschaeftsfuehrerin": "geschaftsfuhrerin",
    "gruender": "grunder",
    "gruenderin": "grunderin",
}

#: Phrases rewritten before anything else is matched (``&`` is already ``and``).
PHRASES: Final[tuple[tuple[str, str], ...]] = (
    (r"\bvice ?president\w*|\bvice ?presidente?\b|\bvizeprasident\w*", "vp"),
    (r"\bc level\b|\bc suite\b", "c_suite"),
    (r"\br and d\b", "research development"),
    (r"\bfp and a\b", "financial planning"),
    (r"\bl and d\b", "learning development"),
    (r"\bm and a\b", "corporate development finance"),
    # Who someone assists is not who they are: "Assistant to the CEO".
    (r"\b(assistant|secretary|aide|advisor|adviser) to (the )?.*$", r"\1"),
)

#: "Product Owner", "Process Owner"...: a role, not the owner of the company.
_NOT_A_ROLE_OWNER: Final = "".join(
    f"(?<!{word} )"
    for word in (
        "product", "process", "service", "system", "data", "application", "content", "risk",
        "control", "platform", "budget", "business process", "technical", "solution",
    )
)  # fmt: skip

#: Seniority level → fragments, checked most senior first: the first level with a match
#: wins ("Senior Vice President" is a ``vp``, "Founder & CEO" an ``owner``).
SENIORITY_PATTERNS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (
        "owner",
        (
            r"(co )?founder\w*",
            r"(co )?" + _NOT_A_ROLE_OWNER + "owner",
            r"proprietor",
            r"self employed",
            r"entrepreneur",
            r"(managing|founding|general|equity|name|senior) partner",
            r"(?<!\w )partner(?= at\b| and\b|$)",
            r"fondat(eur|rice|ore)",
            r"fundador[a]?",
            r"grunder(in)?",
            r"inhaber(in)?",
            r"propietari[oa]",
            r"proprietari[oa]",
        ),
    ),
    (
        "c_level",
        (
            r"ceo|cto|cfo|coo|cmo|cio|ciso|cso|cro|cpo|cdo|cdao|cco|chro|clo|cao|cbo|cgo|cxo"
            r"|cno|caio|cpto|cito|ciso",
            r"chief( \w+){1,4} officer",
            r"chief executive",
            r"c_suite",
            r"(?<!vice )president[e]?",
            r"presidente",
            r"managing director",
            r"general manager",
            r"(directeur|directrice|director|directora|diretor|diretora) (general|generale|geral)",
            r"direttore generale",
            r"gerente general",
            r"pdg|dg",
            r"geschaftsfuhrer(in)?",
            r"vorstand\w*",
            r"chair(man|woman|person)?( of the board)?",
            r"board member|member of the board|board of directors",
            r"non executive director",
        ),
    ),
    ("vp", (r"vp", r"vicepresident\w*")),
    (
        "head",
        (
            r"head",
            r"(?!team|gruppen|projekt)\w*leiter(in)?",
            r"jef[ea]",
            r"rssi",
        ),
    ),
    (
        "director",
        (
            r"director\w*",
            r"directeur",
            r"directrice",
            r"diret(or|ora)",
            r"direktor\w*",
            r"direttore",
            r"dyrektor\w*",
            r"chief",
        ),
    ),
    (
        "manager",
        (
            r"manager\w*",
            r"managing",
            r"management",
            r"gerente",
            r"responsable",
            r"team lead(er)?",
            r"(team|gruppen|projekt)leiter\w*",
            r"supervisor\w*",
            r"superintendent",
            r"foreman",
            r"chef de",
            r"encargad[oa]",
            r"gestor[a]?",
            r"coordinator",
        ),
    ),
    (
        "senior",
        (
            r"senior",
            r"principal",
            r"lead(?! gen)",
            r"staff(?= (engineer|software|data|scientist|product|designer|developer|architect"
            r"|machine|site|security|research|ux|frontend|backend|full|ml|infrastructure))",
            r"expert",
            r"iii|iv",
            r"distinguished",
            r"fellow",
        ),
    ),
    (
        "intern",
        (
            r"intern|interns|internship",
            r"trainee",
            r"apprentice\w*",
            r"praktikant\w*",
            r"stagiaire",
            r"werkstudent\w*",
            r"working student",
            r"becari[oa]",
            r"estagiari[oa]",
            r"tirocinante",
            r"co op|coop",
            r"alternant\w*",
            r"azubi|auszubildende\w*",
            r"summer (associate|analyst)",
            r"pasante",
        ),
    ),
    (
        "student",
        (
            r"student\w*",
            r"studente|estudiante|estudante",
            r"etudiant\w*",
            r"undergrad\w*",
            r"(phd|doctoral|mba|masters?|msc|bsc) (candidate|researcher)",
            r"doctoral",
            r"graduate (student|researcher)",
            r"freshman|sophomore",
        ),
    ),
)

#: Department → fragments naming a function. The function named first in a title wins
#: ("VP Sales & Marketing" is sales); at one position the longest fragment wins
#: ("Product Marketing Manager" is marketing, not product).
DEPARTMENT_PATTERNS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (
        "engineering",
        (
            r"engineer\w*",
            r"ingenieur\w*|ingenier[oa]|engenheir[oa]|ingegnere",
            r"developer\w*|development",
            r"\w*entwickl\w*|developpeur\w*|desarrollador\w*|desenvolvedor\w*",
            r"programmer\w*|programador\w*|programming|coder",
            r"software\w*|firmware|embedded|hardware",
            r"devops|site reliability|platform|infrastructure|cloud",
            r"front ?end|back ?end|full ?stack|mobile|ios|android|web",
            r"quality assurance|tester|testing|test automation",
            r"technology|technique|tecnologia|technik|techniker",
            r"technical (director|lead|officer|architect|manager)",
            r"architect\w*",
            r"cto|vpe",
        ),
    ),
    (
        "it",
        (
            r"it",
            r"ti",
            r"information technology|information systems|information officer",
            r"systems? administrator|systems|sistemas|system administrator",
            r"network\w*|helpdesk|help desk|service desk|desktop support|it support",
            r"informati(que|ca|k)|informatiker\w*",
            r"cio|dsi|cito",
        ),
    ),
    (
        "security",
        (
            r"security|cybersecurity|cyber|information security|infosec|appsec|secops",
            r"ciso|soc analyst|penetration|pentest\w*|threat\w*|vulnerability",
            r"sicherheit\w*|seguridad|securite|rssi",
            # The specialisation wins over the field it specialises: "IT Security
            # Manager", "Network Security Engineer" are security people.
            r"(it|network|systems?|cloud|application|data|product|web) security",
        ),
    ),
    (
        "data",
        (
            r"data",
            r"analytics|business intelligence|machine learning|ai|artificial intelligence",
            r"data scien\w*|statistic\w*|big data|etl|database\w*|insights",
            r"cdo|cdao|caio",
            r"datos|donnees|daten\w*",
        ),
    ),
    (
        "product",
        (
            r"product|products|product owner|product management",
            r"produkt\w*|producto|produit",
            r"cpo|cpto",
        ),
    ),
    (
        "design",
        (
            r"web design\w*|product design\w*|design\w*|ux|ui",
            r"user experience|user interface|user research\w*",
            r"creative|art director|graphic\w*|illustrator|visual|animator",
            r"disenador\w*|diseno|gestalter\w*",
        ),
    ),
    (
        "marketing",
        (
            r"marketing\w*|marketer|product marketing|growth|demand gen\w*|lead gen\w*",
            r"seo|sem|ppc|content|communications?|brand\w*|pr|public relations",
            r"social media|campaigns?|advertising|copywriter|events?|community",
            r"mercadeo|mercadotecnia|kommunikation",
            r"cmo|cgo",
        ),
    ),
    (
        "sales",
        (
            r"sales|salesperson|account executive|account manager|account director",
            r"business development|business developer|inside sales|key account\w*",
            r"sales engineer|solutions? engineer|solutions consultant|pre ?sales",
            r"commercial|comercial|vertrieb\w*|verkauf\w*|ventas|ventes|vendas|vendite",
            r"partnerships?|alliances?|channel|revenue|territory|partner manager",
            r"cro|account development",
        ),
    ),
    (
        "customer_success",
        (
            r"customer success|client success|customer experience|cx",
            r"customer support|customer service\w*|client services?|customer care",
            r"support|technical account manager|onboarding|implementation",
            r"customer officer|chief customer|kundenservice|kundenbetreu\w*",
            r"atencion al cliente|service client",
        ),
    ),
    (
        "operations",
        (
            r"operations|operating officer|operational|revenue operations|revops",
            r"logistics|supply chain|facilities|production|manufacturing|plant|warehouse",
            r"project manager|project management|program manager|programme manager",
            r"quality|business analyst|office manager|administration|strategy",
            r"operaciones|operacoes|betrieb\w*|coo",
        ),
    ),
    (
        "finance",
        (
            r"finance|financial\w*|financial planning|accounting|accountant|controller",
            r"comptroller|treasur\w*|tax|audit\w*|bookkeep\w*|billing|cpa|investor relations",
            r"accounts payable|accounts receivable|investment\w*|credit|risk",
            r"corporate development finance",
            r"buchhalt\w*|finanz\w*|financier\w*|comptab\w*|contador\w*|contab\w*",
            r"cfo",
        ),
    ),
    (
        "procurement",
        (
            r"procurement|purchasing|buyer|sourcing|vendor management",
            r"einkauf\w*|compras|achats",
        ),
    ),
    (
        "hr",
        (
            r"hr|human resources?|people|talent\w*|recruit\w*|chro|hr business partner",
            r"learning development|training|compensation|benefits|payroll|workforce",
            r"personal\w*|recursos humanos|rrhh|rh|ressources humaines",
        ),
    ),
    (
        "legal",
        (
            r"legal|counsel|general counsel|attorney|lawyer|paralegal|compliance",
            r"contracts|privacy|dpo|data protection\w*|clo|regulatory",
            r"jurist\w*|juridique|abogad[oa]|avocat\w*|anwalt\w*|rechts\w*",
        ),
    ),
    (
        "research",
        (
            r"research\w*|scientist|laboratory|lab",
            r"research development|forschung\w*|investigacion|recherche",
        ),
    ),
    (
        "education",
        (
            r"teacher|professor|lecturer|instructor|tutor|educat\w*|school|dean",
            r"faculty|academic|curriculum|teaching|lehrer\w*|profesor\w*|enseignant\w*",
            r"docente|maestr[oa]",
        ),
    ),
)

#: Fragments that say a title names the top of a company (department ``executive``
#: when no function is named).
EXECUTIVE_PATTERNS: Final[tuple[str, ...]] = (
    r"ceo|chief executive|president[e]?|c_suite|(co )?founder\w*|(co )?owner|proprietor",
    r"managing director|general manager|gerente general|pdg|dg|geschaftsfuhrer\w*",
    r"(directeur|directrice|director|directora|diretor) (general|generale|geral)",
    r"chair(man|woman|person)?|board|chief of staff|executive assistant|entrepreneur",
    r"partner|vorstand\w*|fondat\w*|fundador\w*|grunder\w*|inhaber\w*|self employed",
    r"chief strategy officer|cso|cco|cxo|cao|cbo|executive director",
)

#: Fragments naming a job without a function or a seniority: with them, a title is a
#: real one (an individual contributor) rather than noise.
ROLE_PATTERNS: Final[tuple[str, ...]] = (
    r"analyst\w*|specialist\w*|consultant\w*|associate|assistant|officer|agent",
    r"representative\w*|administrator|technician|writer|editor|advisor|adviser",
    r"strategist|planner|operator|executive|member|employee|contractor|freelanc\w*",
    r"generalist|evangelist|advocate|producer|author|coach|trainer|scrum master",
    r"physician|doctor|nurse|pharmacist|therapist|mechanic|electrician|driver|clerk",
    r"cashier|barista|chef|cook|waiter|waitress|retired|volunteer|unemployed",
    r"junior|consultor\w*|berater\w*|sachbearbeiter\w*|mitarbeiter\w*|referent\w*",
    r"kaufmann|kauffrau|tecnic[oa]|technicien\w*|asistente|assistente|analista",
    r"vendedor\w*|abogad[oa]|avocat\w*|anwalt\w*|arzt|medecin|employe\w*|empleado",
    r"auxiliar|ejecutiv[oa]|specialista|spezialist\w*|experte|staff|worker|clerk",
)

#: Titles that say nothing (after normalisation): no seniority, no department.
JUNK: Final = frozenset(
    {
        "",
        "n a",
        "na",
        "none",
        "null",
        "nil",
        "unknown",
        "test",
        "testing",
        "asdf",
        "asdfgh",
        "qwerty",
        "xxx",
        "x",
        "xx",
        "tbd",
        "other",
        "others",
        "misc",
        "me",
        "self",
        "title",
        "job title",
        "undefined",
        "not applicable",
        "no title",
        "n",
        "a",
    }
)

#: Explicit seniority values as vendors send them (LinkedIn, Apollo, ZoomInfo,
#: Clearbit/HubSpot) → the vocabulary.
SENIORITY_ALIASES: Final[dict[str, str]] = {
    "owner": "owner",
    "founder": "owner",
    "partner": "owner",
    "c level": "c_level",
    "c_level": "c_level",
    "clevel": "c_level",
    "c suite": "c_level",
    "c_suite": "c_level",
    "cxo": "c_level",
    "executive": "c_level",
    "vp": "vp",
    "vp level": "vp",
    "vice president": "vp",
    "head": "head",
    "director": "director",
    "manager": "manager",
    "senior": "senior",
    "individual contributor": "individual_contributor",
    "individual_contributor": "individual_contributor",
    "ic": "individual_contributor",
    "entry": "individual_contributor",
    "junior": "individual_contributor",
    "non manager": "individual_contributor",
    "staff": "individual_contributor",
    "intern": "intern",
    "training": "intern",
    "unpaid": "intern",
    "student": "student",
}

#: Explicit department values as vendors send them → the vocabulary.
DEPARTMENT_ALIASES: Final[dict[str, str]] = {
    "customer success": "customer_success",
    "customer_success": "customer_success",
    "customer service": "customer_success",
    "support": "customer_success",
    "human resources": "hr",
    "human_resources": "hr",
    "people": "hr",
    "information technology": "it",
    "information_technology": "it",
    "leadership": "executive",
    "management": "executive",
    "c suite": "executive",
    "communications": "marketing",
    "public relations": "marketing",
    "public_relations": "marketing",
    "business development": "sales",
    "accounting": "finance",
    "engineering": "engineering",
    "technical": "engineering",
}

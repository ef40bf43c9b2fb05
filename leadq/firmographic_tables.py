"""The data behind ``leadq.firmographics``: industries, countries, company-size bands."""

from __future__ import annotations

from typing import Final

from schemas.traits import EMPLOYEE_BANDS as BAND_NAMES

#: Company-size bands: (lowest employee count, band name), ascending.
EMPLOYEE_BANDS: Final[tuple[tuple[int, str], ...]] = tuple(
    zip((1, 11, 51, 201, 501, 1001, 5001, 10001), BAND_NAMES, strict=True)
)

#: LinkedIn's company-size codes (``staffCountRange`` / Sales Navigator letters) and
#: words vendors use instead of a number → (lowest, highest or ``None``).
EMPLOYEE_WORDS: Final[dict[str, tuple[int, int | None]]] = {
    "a": (1, 1),
    "b": (1, 10),
    "c": (11, 50),
    "d": (51, 200),
    "e": (201, 500),
    "f": (501, 1000),
    "g": (1001, 5000),
    "h": (5001, 10000),
    "i": (10001, None),
    "self employed": (1, 1),
    "self-employed": (1, 1),
    "myself only": (1, 1),
    "just me": (1, 1),
    "solo": (1, 1),
    "size_1": (1, 1),
    "size_2_to_10": (2, 10),
    "size_11_to_50": (11, 50),
    "size_51_to_200": (51, 200),
    "size_201_to_500": (201, 500),
    "size_501_to_1000": (501, 1000),
    "size_1001_to_5000": (1001, 5000),
    "size_5001_to_10000": (5001, 10000),
    "size_10001_or_more": (10001, None),
}

#: The industry vocabulary → fragments (regular expressions over the lower-cased
#: industry, accents removed, ``&`` as ``and``), checked in this order: the first
#: industry with a match wins, so specific ones come before broad ones
#: ("Computer & Network Security" and "Financial Software" are software).
INDUSTRY_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    (
        "software",
        r"software|saas|computer (and )?network security|cyber ?security|fintech"
        r"|financial technology",
    ),
    (
        "it_services",
        r"information technology|it services|it consulting|computer (services|networking)"
        r"|technology|tech\b",
    ),
    ("internet", r"internet|online|e ?commerce|ecommerce|web services|marketplace|social network"),
    ("hardware", r"hardware|semiconductor|electronic|computers?\b|electrical"),
    ("telecommunications", r"telecom\w*|wireless|mobile network"),
    ("insurance", r"insurance|insurer|reinsurance"),
    (
        "financial_services",
        r"financ\w*|bank\w*|investment\w*|capital markets|venture capital"
        r"|private equity|asset management|accounting|payments?|lending|credit|wealth",
    ),
    ("life_sciences", r"pharma\w*|biotech\w*|life sciences?|biolog\w*|medical devices?"),
    ("healthcare", r"health\w*|hospital\w*|medical|medicine|clinic\w*|care\b|wellness"),
    ("education", r"educat\w*|e ?learning|edtech|school|universit\w*|college|academ\w*|training"),
    (
        "government",
        r"government|public (sector|administration|policy)|military|defen[cs]e forces"
        r"|municipal|federal|public safety",
    ),
    ("nonprofit", r"non ?profit|not for profit|ngo|charit\w*|philanthrop\w*|foundation|religious"),
    ("aerospace_defense", r"aerospace|aviation|defen[cs]e|space"),
    ("automotive", r"automotive|vehicle|cars?\b"),
    ("energy", r"energy|oil|gas\b|utilit\w*|renewable\w*|solar|power|mining|petroleum"),
    (
        "manufacturing",
        r"manufactur\w*|industrial|machinery|chemical\w*|plastics|packaging"
        r"|textile|materials|metal\w*|paper",
    ),
    ("retail", r"retail|wholesale|consumer|apparel|fashion|luxury|cosmetic\w*|supermarket"),
    ("food_beverage", r"food|beverage\w*|restaurant\w*|dairy|wine|spirits|brew\w*"),
    ("agriculture", r"agricult\w*|farm\w*|ranch\w*|fisher\w*"),
    (
        "transportation",
        r"transport\w*|logistic\w*|shipping|freight|trucking|airline\w*"
        r"|maritime|rail\w*|supply chain|warehous\w*",
    ),
    ("real_estate", r"real estate|property|properties|commercial real estate"),
    ("construction", r"construct\w*|building materials|architecture|civil engineering"),
    ("hospitality", r"hospitality|hotel\w*|travel|tourism|leisure|gambling|casino\w*|events"),
    (
        "media",
        r"media|entertainment|publish\w*|broadcast\w*|film|music|gam(e|es|ing)\b"
        r"|newspaper\w*|motion pictures|animation|sports",
    ),
    ("marketing_advertising", r"marketing|advertis\w*|public relations|market research"),
    ("legal", r"legal|law\b|law practice|legal services"),
    (
        "professional_services",
        r"consult\w*|professional services|staffing|recruit\w*"
        r"|outsourc\w*|human resources|research|design|services",
    ),
)

#: Country names and common forms (lower case, accents removed, punctuation as spaces)
#: → ISO 3166-1 alpha-2.
COUNTRY_NAMES: Final[dict[str, str]] = {
    "united states": "US", "united states of america": "US", "usa": "US", "us": "US",
    "u s": "US", "u s a": "US", "america": "US", "estados unidos": "US", "etats unis": "US",
    "vereinigte staaten": "US",
    "united kingdom": "GB", "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "united kingdom of great britain and northern ireland": "GB", "gb": "GB",
    "canada": "CA", "mexico": "MX", "brazil": "BR", "brasil": "BR", "argentina": "AR",
    "chile": "CL", "colombia": "CO", "peru": "PE", "uruguay": "UY", "venezuela": "VE",
    "ecuador": "EC", "bolivia": "BO", "paraguay": "PY", "costa rica": "CR", "panama": "PA",
    "guatemala": "GT", "puerto rico": "PR", "dominican republic": "DO", "cuba": "CU",
    "germany": "DE", "deutschland": "DE", "allemagne": "DE", "alemania": "DE",
    "france": "FR", "francia": "FR", "frankreich": "FR",
    "spain": "ES", "espana": "ES", "espagne": "ES", "spanien": "ES",
    "italy": "IT", "italia": "IT", "italie": "IT", "italien": "IT",
    "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "nederland": "NL",
    "belgium": "BE", "belgique": "BE", "belgie": "BE", "belgien": "BE",
    "luxembourg": "LU", "switzerland": "CH", "schweiz": "CH", "suisse": "CH", "svizzera": "CH",
    "austria": "AT", "osterreich": "AT", "oesterreich": "AT", "portugal": "PT",
    "ireland": "IE", "eire": "IE", "republic of ireland": "IE",
    "sweden": "SE", "sverige": "SE", "norway": "NO", "norge": "NO", "denmark": "DK",
    "danmark": "DK", "finland": "FI", "suomi": "FI", "iceland": "IS",
    "poland": "PL", "polska": "PL", "czech republic": "CZ", "czechia": "CZ", "slovakia": "SK",
    "hungary": "HU", "romania": "RO", "bulgaria": "BG", "greece": "GR", "hellas": "GR",
    "croatia": "HR", "serbia": "RS", "slovenia": "SI", "bosnia and herzegovina": "BA",
    "estonia": "EE", "latvia": "LV", "lithuania": "LT", "ukraine": "UA", "belarus": "BY",
    "russia": "RU", "russian federation": "RU", "turkey": "TR", "turkiye": "TR",
    "cyprus": "CY", "malta": "MT", "moldova": "MD", "albania": "AL", "north macedonia": "MK",
    "israel": "IL", "united arab emirates": "AE", "uae": "AE", "u a e": "AE",
    "saudi arabia": "SA", "qatar": "QA", "kuwait": "KW", "bahrain": "BH", "oman": "OM",
    "jordan": "JO", "lebanon": "LB", "egypt": "EG", "morocco": "MA", "tunisia": "TN",
    "algeria": "DZ", "nigeria": "NG", "kenya": "KE", "south africa": "ZA", "ghana": "GH",
    "ethiopia": "ET", "uganda": "UG", "tanzania": "TZ", "rwanda": "RW", "senegal": "SN",
    "india": "IN", "pakistan": "PK", "bangladesh": "BD", "sri lanka": "LK", "nepal": "NP",
    "china": "CN", "people s republic of china": "CN", "prc": "CN", "hong kong": "HK",
    "taiwan": "TW", "japan": "JP", "south korea": "KR", "korea": "KR",
    "republic of korea": "KR", "korea republic of": "KR", "singapore": "SG",
    "malaysia": "MY", "indonesia": "ID", "philippines": "PH", "thailand": "TH",
    "vietnam": "VN", "viet nam": "VN", "australia": "AU", "new zealand": "NZ",
    "kazakhstan": "KZ", "iran": "IR", "iraq": "IQ",
}  # fmt: skip

#: ISO 3166-1 alpha-3 → alpha-2, for the countries above.
COUNTRY_ALPHA3: Final[dict[str, str]] = {
    "USA": "US", "GBR": "GB", "CAN": "CA", "MEX": "MX", "BRA": "BR", "ARG": "AR",
    "CHL": "CL", "COL": "CO", "PER": "PE", "URY": "UY", "DEU": "DE", "FRA": "FR",
    "ESP": "ES", "ITA": "IT", "NLD": "NL", "BEL": "BE", "LUX": "LU", "CHE": "CH",
    "AUT": "AT", "PRT": "PT", "IRL": "IE", "SWE": "SE", "NOR": "NO", "DNK": "DK",
    "FIN": "FI", "ISL": "IS", "POL": "PL", "CZE": "CZ", "SVK": "SK", "HUN": "HU",
    "ROU": "RO", "BGR": "BG", "GRC": "GR", "HRV": "HR", "SRB": "RS", "SVN": "SI",
    "EST": "EE", "LVA": "LV", "LTU": "LT", "UKR": "UA", "RUS": "RU", "TUR": "TR",
    "ISR": "IL", "ARE": "AE", "SAU": "SA", "QAT": "QA", "EGY": "EG", "MAR": "MA",
    "NGA": "NG", "KEN": "KE", "ZAF": "ZA", "IND": "IN", "PAK": "PK", "BGD": "BD",
    "CHN": "CN", "HKG": "HK", "TWN": "TW", "JPN": "JP", "KOR": "KR", "SGP": "SG",
    "MYS": "MY", "IDN": "ID", "PHL": "PH", "THA": "TH", "VNM": "VN", "AUS": "AU",
    "NZL": "NZ", "CYP": "CY", "MLT": "MT",
}  # fmt: skip

#: Every officially assigned ISO 3166-1 alpha-2 code (``UK``, what people type for the
#: United Kingdom, is in ``COUNTRY_NAMES``).
_ALPHA2: Final = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
COUNTRY_CODES: Final = frozenset(_ALPHA2.split())

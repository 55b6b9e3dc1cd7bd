"""Gazetteers: the names the engine knows, as small tables.

Donors are keyed by the slug the ledger gives them (the English short name slugified, as in
`Donor.slug`); weapon systems by the category slug of the ledger's taxonomy
(aid/migrations/0002_categories.py). A name is matched as written: proper names are
case-sensitive ("US" is a donor, "us" is not), generic nouns are not.

To teach the engine a name, add a row; tests/test_candidates.py checks every row.
"""

import re
from dataclasses import dataclass

from aid.choices import DonorKind


@dataclass(frozen=True)
class DonorEntry:
    slug: str
    name: str
    kind: str
    iso_code: str  # ISO 3166-1 alpha-2 for a country, "" for an institution
    names: tuple  # how documents name it: its names, capitals, institutions
    adjective: str = ""  # "German": a donor only before a word of government


C, EU, ML = DonorKind.COUNTRY, DonorKind.EU_INSTITUTION, DonorKind.MULTILATERAL

# fmt: off
DONORS = [
    DonorEntry("united-states", "United States", C, "US", (
        "United States of America", "United States", "U.S.A.", "USA", "U.S.", "US",
        "America", "Washington", "White House", "Pentagon", "State Department",
        "Department of Defense", "Department of Defence", "Congress", "Americans",
        "Biden administration", "Trump administration"), "American"),
    DonorEntry("united-kingdom", "United Kingdom", C, "GB", (
        "United Kingdom", "U.K.", "UK", "Great Britain", "Britain", "London",
        "Downing Street"), "British"),
    DonorEntry("germany", "Germany", C, "DE", ("Germany", "Berlin", "Bundeswehr"), "German"),
    DonorEntry("france", "France", C, "FR", ("France", "Paris", "Élysée", "Elysee"), "French"),
    DonorEntry("italy", "Italy", C, "IT", ("Italy", "Rome"), "Italian"),
    DonorEntry("spain", "Spain", C, "ES", ("Spain", "Madrid"), "Spanish"),
    DonorEntry("portugal", "Portugal", C, "PT", ("Portugal", "Lisbon"), "Portuguese"),
    DonorEntry("netherlands", "Netherlands", C, "NL", (
        "Netherlands", "Holland", "The Hague"), "Dutch"),
    DonorEntry("belgium", "Belgium", C, "BE", ("Belgium",), "Belgian"),
    DonorEntry("luxembourg", "Luxembourg", C, "LU", ("Luxembourg",)),
    DonorEntry("denmark", "Denmark", C, "DK", ("Denmark", "Copenhagen"), "Danish"),
    DonorEntry("sweden", "Sweden", C, "SE", ("Sweden", "Stockholm"), "Swedish"),
    DonorEntry("norway", "Norway", C, "NO", ("Norway", "Oslo"), "Norwegian"),
    DonorEntry("finland", "Finland", C, "FI", ("Finland", "Helsinki"), "Finnish"),
    DonorEntry("iceland", "Iceland", C, "IS", ("Iceland", "Reykjavik"), "Icelandic"),
    DonorEntry("ireland", "Ireland", C, "IE", ("Ireland", "Dublin"), "Irish"),
    DonorEntry("austria", "Austria", C, "AT", ("Austria", "Vienna"), "Austrian"),
    DonorEntry("switzerland", "Switzerland", C, "CH", ("Switzerland", "Bern"), "Swiss"),
    DonorEntry("poland", "Poland", C, "PL", ("Poland", "Warsaw"), "Polish"),
    DonorEntry("czechia", "Czechia", C, "CZ", ("Czech Republic", "Czechia", "Prague"), "Czech"),
    DonorEntry("slovakia", "Slovakia", C, "SK", ("Slovakia", "Bratislava"), "Slovak"),
    DonorEntry("hungary", "Hungary", C, "HU", ("Hungary", "Budapest"), "Hungarian"),
    DonorEntry("romania", "Romania", C, "RO", ("Romania", "Bucharest"), "Romanian"),
    DonorEntry("bulgaria", "Bulgaria", C, "BG", ("Bulgaria", "Sofia"), "Bulgarian"),
    DonorEntry("greece", "Greece", C, "GR", ("Greece", "Athens"), "Greek"),
    DonorEntry("cyprus", "Cyprus", C, "CY", ("Cyprus", "Nicosia"), "Cypriot"),
    DonorEntry("malta", "Malta", C, "MT", ("Malta", "Valletta"), "Maltese"),
    DonorEntry("slovenia", "Slovenia", C, "SI", ("Slovenia", "Ljubljana"), "Slovenian"),
    DonorEntry("croatia", "Croatia", C, "HR", ("Croatia", "Zagreb"), "Croatian"),
    DonorEntry("estonia", "Estonia", C, "EE", ("Estonia", "Tallinn"), "Estonian"),
    DonorEntry("latvia", "Latvia", C, "LV", ("Latvia", "Riga"), "Latvian"),
    DonorEntry("lithuania", "Lithuania", C, "LT", ("Lithuania", "Vilnius"), "Lithuanian"),
    DonorEntry("albania", "Albania", C, "AL", ("Albania", "Tirana"), "Albanian"),
    DonorEntry("north-macedonia", "North Macedonia", C, "MK", ("North Macedonia", "Skopje")),
    DonorEntry("montenegro", "Montenegro", C, "ME", ("Montenegro", "Podgorica")),
    DonorEntry("turkiye", "Türkiye", C, "TR", ("Türkiye", "Turkiye", "Turkey", "Ankara"),
               "Turkish"),
    DonorEntry("canada", "Canada", C, "CA", ("Canada", "Ottawa"), "Canadian"),
    DonorEntry("australia", "Australia", C, "AU", ("Australia", "Canberra"), "Australian"),
    DonorEntry("new-zealand", "New Zealand", C, "NZ", ("New Zealand", "Wellington")),
    DonorEntry("japan", "Japan", C, "JP", ("Japan", "Tokyo"), "Japanese"),
    DonorEntry("south-korea", "South Korea", C, "KR", (
        "South Korea", "Republic of Korea", "Seoul"), "South Korean"),
    DonorEntry("taiwan", "Taiwan", C, "TW", ("Taiwan", "Taipei"), "Taiwanese"),
    DonorEntry("israel", "Israel", C, "IL", ("Israel",), "Israeli"),
    DonorEntry("european-union", "European Union", EU, "", (
        "European Union", "EU", "European Commission", "European Council",
        "Council of the European Union", "Council of the EU", "European Peace Facility",
        "Ukraine Facility", "Ukraine Assistance Fund", "Ukraine Support Fund", "Brussels")),
    DonorEntry("european-investment-bank", "European Investment Bank", EU, "", (
        "European Investment Bank", "EIB")),
    DonorEntry("nato", "NATO", ML, "", ("North Atlantic Treaty Organization", "NATO",
                                        "Alliance")),
    DonorEntry("world-bank", "World Bank", ML, "", ("World Bank",)),
    DonorEntry("international-monetary-fund", "International Monetary Fund", ML, "", (
        "International Monetary Fund", "IMF")),
    DonorEntry("european-bank-for-reconstruction-and-development",
               "European Bank for Reconstruction and Development", ML, "", (
                   "European Bank for Reconstruction and Development", "EBRD")),
    DonorEntry("g7", "G7", ML, "", ("G7", "G-7", "Group of Seven")),
]

# Actors that are not donors to Ukraine: a figure they move is never a pledge to it.
ADVERSARIES = [
    ("Russia", ("Russian Federation", "Russia", "Kremlin", "Moscow"), "Russian"),
    ("China", ("People's Republic of China", "China", "PRC", "Beijing"), "Chinese"),
    ("Iran", ("Iran", "Tehran"), "Iranian"),
    ("North Korea", ("North Korea", "DPRK", "Pyongyang"), "North Korean"),
    ("Belarus", ("Belarus", "Minsk"), "Belarusian"),
]
# fmt: on

RECIPIENT = re.compile(r"\b(?:Ukraine|Ukrainians?|Kyiv|Kiev)\b")

# An adjective names an actor only before one of these ("the Dutch government",
# "Chinese manufacturers"); "British-made Storm Shadow missiles" names no actor.
GOVERNMENT_WORDS = (
    r"(?i:government|cabinet|parliament|president|prime\s+minister|chancellor|"
    r"(?:defen[cs]e|foreign)\s+minist(?:er|ry)|ministry|minister|armed\s+forces|army|navy|"
    r"air\s+force|officials|authorities|leader|leadership|administration)"
)
ADVERSARY_ACTOR_WORDS = (
    GOVERNMENT_WORDS[:-1]
    + r"|manufacturers|companies|firms|suppliers|exporters|banks|troops|forces|military)"
)
# A capital names a place, not its government, after these words ("the summit in Vilnius").
PLACE_WORDS = re.compile(
    r"(?i:\b(?:in|at|to|from|near|via|visit|visits|visited|visiting|toward|towards|"
    r"across|around|outside|inside)\s+(?:the\s+)?)$"
)
# After these words a donor's name names who receives ("support for Taiwan", "aid to Israel").
BENEFICIARY_WORDS = re.compile(r"(?i:\b(?:for|to|towards)\s+(?:the\s+)?)$")
MADE_IN = r"(?!-(?:made|built|produced|designed|manufactured|supplied))"


def _names_pattern(names):
    alternatives = sorted(names, key=len, reverse=True)
    return "|".join(re.escape(name) for name in alternatives)


@dataclass(frozen=True)
class WeaponEntry:
    name: str  # as a reviewer would write it: "F-16"
    pattern: str  # a regular expression; case-sensitive unless it says (?i:…)
    category: str  # a category slug
    unit: str  # the unit of a quantity of it, when the text gives no noun


CALIBRE = r"\d{2,3}(?:[.,]\d{1,2})?[ -]?mm"

# fmt: off
# Named systems. Names inside a system's name ("Leopard 2", "PzH 2000", "F-16") are never
# read as quantities or amounts.
WEAPON_SYSTEMS = [
    # aircraft
    WeaponEntry("F-16", r"F-?16s?", "aircraft", "aircraft"),
    WeaponEntry("Mirage 2000", r"Mirage(?: 2000(?:-5F?)?)?", "aircraft", "aircraft"),
    WeaponEntry("Gripen", r"(?:JAS 39 )?Gripens?", "aircraft", "aircraft"),
    WeaponEntry("MiG-29", r"MiG-?29s?", "aircraft", "aircraft"),
    WeaponEntry("Su-25", r"Su-?2[45]s?", "aircraft", "aircraft"),
    WeaponEntry("Mi-8/Mi-17", r"Mi-?(?:8|17|24)s?", "aircraft", "helicopters"),
    WeaponEntry("Sea King", r"Sea Kings?", "aircraft", "helicopters"),
    # air defence
    WeaponEntry("Patriot", r"Patriots?(?: PAC-[23])?", "air-defence", "systems"),
    WeaponEntry("IRIS-T", r"IRIS-T(?: SLM| SLS)?", "air-defence", "systems"),
    WeaponEntry("NASAMS", r"NASAMS", "air-defence", "systems"),
    WeaponEntry("HAWK", r"HAWK|Hawk(?!er)", "air-defence", "systems"),
    WeaponEntry("Stinger", r"Stingers?", "air-defence", "missiles"),
    WeaponEntry("SAMP/T", r"SAMP/T|Mamba", "air-defence", "systems"),
    WeaponEntry("Gepard", r"Gepards?", "air-defence", "systems"),
    WeaponEntry("Skynex", r"Skynex|Skyguard", "air-defence", "systems"),
    WeaponEntry("Crotale", r"Crotale", "air-defence", "systems"),
    WeaponEntry("Aspide", r"Aspide", "air-defence", "systems"),
    WeaponEntry("Avenger", r"Avenger", "air-defence", "systems"),
    WeaponEntry("Sea Sparrow", r"(?:RIM-7 )?Sea Sparrows?", "air-defence", "missiles"),
    WeaponEntry("AIM-9", r"AIM-(?:9|7)\w*", "air-defence", "missiles"),
    WeaponEntry("Mistral", r"Mistral", "air-defence", "missiles"),
    WeaponEntry("Starstreak", r"Starstreak", "air-defence", "missiles"),
    WeaponEntry("Piorun", r"Piorun", "air-defence", "missiles"),
    WeaponEntry("S-300", r"S-300", "air-defence", "systems"),
    # ammunition (before artillery: "ammunition for HIMARS" is ammunition)
    WeaponEntry("HIMARS ammunition",
                r"(?i:(?:ammunition|rockets|munitions|missiles) for )HIMARS"
                r"|HIMARS (?i:ammunition|rockets|munitions)",
                "ammunition", "rockets"),
    WeaponEntry("GMLRS", r"GMLRS", "ammunition", "rockets"),
    WeaponEntry("Excalibur", r"Excalibur", "ammunition", "shells"),
    WeaponEntry("artillery shells", rf"{CALIBRE}(?:,? (?:and|or) {CALIBRE})*"
                r"(?i: (?:artillery )?(?:shells|rounds|ammunition|projectiles))",
                "ammunition", "shells"),
    # artillery
    WeaponEntry("HIMARS", r"HIMARS|M142", "artillery", "launchers"),
    WeaponEntry("M270", r"M270(?:A1)?|MARS II", "artillery", "launchers"),
    WeaponEntry("M777", r"M777s?", "artillery", "howitzers"),
    WeaponEntry("M109", r"M109(?:A\d\w*)?s?", "artillery", "howitzers"),
    WeaponEntry("PzH 2000", r"PzH[ -]?2000s?", "artillery", "howitzers"),
    WeaponEntry("CAESAR", r"CAESARs?|Caesars?", "artillery", "howitzers"),
    WeaponEntry("Archer", r"Archer", "artillery", "howitzers"),
    WeaponEntry("Krab", r"Krabs?|Zuzanas?|Bohdanas?|AS-90s?|D-30s?", "artillery", "howitzers"),
    WeaponEntry("howitzers", rf"{CALIBRE}(?i: (?:self-propelled |towed )?howitzers?)",
                "artillery", "howitzers"),
    WeaponEntry("mortars", rf"{CALIBRE}(?i: mortars?)", "artillery", "mortars"),
    # armoured vehicles
    WeaponEntry("M113", r"M113s?", "armoured-vehicles", "vehicles"),
    WeaponEntry("Bradley", r"(?:M2A2 |M2 )?Bradleys?", "armoured-vehicles", "vehicles"),
    WeaponEntry("Stryker", r"Strykers?", "armoured-vehicles", "vehicles"),
    WeaponEntry("CV90", r"CV ?90s?", "armoured-vehicles", "vehicles"),
    WeaponEntry("Marder", r"Marders?", "armoured-vehicles", "vehicles"),
    WeaponEntry("Leopard", r"Leopards?(?: [12](?:A\d+)?)?", "armoured-vehicles", "tanks"),
    WeaponEntry("Abrams", r"(?:M1(?:A1|A2)? )?Abrams", "armoured-vehicles", "tanks"),
    WeaponEntry("Challenger 2", r"Challenger(?: 2)?", "armoured-vehicles", "tanks"),
    WeaponEntry("AMX-10 RC", r"AMX-10(?: RC)?", "armoured-vehicles", "vehicles"),
    WeaponEntry("VAB", r"VABs?", "armoured-vehicles", "vehicles"),
    WeaponEntry("Patria", r"Patrias?", "armoured-vehicles", "vehicles"),
    WeaponEntry("BMP", r"BMP-\d", "armoured-vehicles", "vehicles"),
    WeaponEntry("T-72", r"T-(?:72|64|55)s?|PT-91s?", "armoured-vehicles", "tanks"),
    WeaponEntry("MaxxPro", r"MaxxPros?|M-ATVs?|Bushmasters?|Kirpis?|BTR-\d+s?|YPR-765s?",
                "armoured-vehicles", "vehicles"),
    # anti-tank
    WeaponEntry("Javelin", r"Javelins?", "anti-tank", "systems"),
    WeaponEntry("TOW", r"TOW(?:-2\w?)?", "anti-tank", "missiles"),
    WeaponEntry("AT-4", r"AT-?4s?", "anti-tank", "launchers"),
    WeaponEntry("NLAW", r"NLAWs?", "anti-tank", "launchers"),
    WeaponEntry("Carl Gustaf", r"Carl[ -]Gustafs?", "anti-tank", "launchers"),
    WeaponEntry("Panzerfaust", r"Panzerfaust(?: 3)?", "anti-tank", "launchers"),
    WeaponEntry("MILAN", r"MILAN", "anti-tank", "launchers"),
    # long-range missiles
    WeaponEntry("Storm Shadow", r"Storm Shadows?", "missiles", "missiles"),
    WeaponEntry("SCALP", r"SCALP|Scalp", "missiles", "missiles"),
    WeaponEntry("ATACMS", r"ATACMS", "missiles", "missiles"),
    WeaponEntry("Taurus", r"Taurus", "missiles", "missiles"),
    WeaponEntry("GLSDB", r"GLSDBs?", "missiles", "missiles"),
    WeaponEntry("Harpoon", r"Harpoons?", "missiles", "missiles"),
    # drones
    WeaponEntry("Bayraktar", r"Bayraktars?(?: TB2)?", "drones", "drones"),
    WeaponEntry("Switchblade", r"Switchblades?", "drones", "drones"),
    WeaponEntry("Phoenix Ghost", r"Phoenix Ghosts?", "drones", "drones"),
    WeaponEntry("ScanEagle", r"ScanEagles?|Puma UAS", "drones", "drones"),
    # vehicles
    WeaponEntry("Humvee", r"Humvees?|HMMWVs?", "vehicles", "vehicles"),
]

# Words for kinds of equipment, matched in any case (written in lower case: they are matched
# against the text in lower case). Longer phrases first.
GENERIC_NOUNS = [
    ("aircraft", r"(?:multi-role |multirole )?fighter (?:jets|aircraft|planes)|"
                 r"jet fighters|fighter jet|combat aircraft|warplanes|helicopters|aircraft"),
    ("air-defence", r"air[- ]defen[cs]e (?:systems?|missiles|launchers|batteries|interceptors)|"
                    r"anti-aircraft (?:systems|guns|missiles)|interceptors|air[- ]defen[cs]e"),
    ("anti-tank", r"anti-tank (?:systems|weapons|missiles|guided missiles|launchers|mines)|"
                  r"atgms"),
    ("artillery", r"self-propelled howitzers|howitzers|mortars|multiple (?:launch )?rocket "
                  r"(?:launchers|systems)|rocket launchers|mlrs|artillery (?:systems|pieces)"),
    ("ammunition", r"artillery shells|artillery rounds|artillery ammunition|shells|"
                   r"rounds(?! of (?:talks|negotiations|sanctions|consultations|voting))|"
                   r"ammunition|munitions|cartridges|rockets|grenades"),
    ("armoured-vehicles", r"main battle tanks|(?<!think )(?<!fuel )tanks|"
                          r"infantry fighting vehicles|ifvs|armou?red personnel carriers|apcs|"
                          r"armou?red (?:vehicles|cars)|mraps"),
    ("missiles", r"cruise missiles|ballistic missiles|long-range missiles|anti-ship missiles|"
                 r"guided missiles|missiles"),
    ("drones", r"(?:fpv |attack |reconnaissance )?drones|uavs|unmanned aerial vehicles|"
               r"loitering munitions"),
    ("naval", r"(?:coastal and river |coastal |river )?patrol boats|boats|ships|vessels|"
              r"minehunters|corvettes|frigates"),
    ("vehicles", r"trucks|trailers|vehicles|ambulances|pickups"),
    ("equipment", r"night vision (?:devices|goggles)|night vision|thermal imagers|radios|"
                  r"body armou?r|helmets|spare parts|support equipment|generators|radars|"
                  r"equipment"),
    ("training", r"training"),
]
# fmt: on

# After a named system, the noun that says what it is ("F-16 fighter jets"): read as the unit.
SYSTEM_NOUN = re.compile(
    r"[ -](?P<noun>(?i:multi-role fighters|fighter jets|fighter aircraft|fighters|jets|"
    r"aircraft|helicopters|air[- ]defen[cs]e systems|air[- ]defen[cs]e missiles|"
    r"systems|batteries|launchers|missiles|interceptors|howitzers|"
    r"infantry fighting vehicles|fighting vehicles|armou?red personnel carriers|"
    r"main battle tanks|"
    r"armou?red vehicles|vehicles|tanks|IFVs|APCs|anti-tank systems|"
    r"anti-tank missiles|rockets|shells|rounds|drones))\b"
)
UNIT_NAMES = {
    "fighter jets": "aircraft",
    "fighter aircraft": "aircraft",
    "fighters": "aircraft",
    "multi-role fighters": "aircraft",
    "jets": "aircraft",
}

# Nouns that make a donor and a pledge verb a pledge ("will provide defence assistance").
# Matched against the text in lower case.
AID_NOUNS = re.compile(
    r"\b(?:aid|assistance|(?:military|defen[cs]e|financial|security) support|"
    r"package|weapons|arms|equipment|ammunition|funding|financing|fund|funds|loan|loans|"
    r"grant|training|(?:security|cooperation|bilateral) agreement|agreement|coalition|"
    r"initiative|contributions?)\b"
)

# Names that are also places: after "in", "to", "visiting"… they name the place, not an actor.
PLACE_NAMES = frozenset(
    """
    Washington London Berlin Paris Rome Madrid Lisbon Copenhagen Stockholm Oslo Helsinki
    Reykjavik Dublin Vienna Bern Warsaw Prague Bratislava Budapest Bucharest Sofia Athens
    Nicosia Valletta Ljubljana Zagreb Tallinn Riga Vilnius Tirana Skopje Podgorica Ankara
    Ottawa Canberra Wellington Tokyo Seoul Taipei Brussels Moscow Beijing Tehran Pyongyang
    Minsk
    """.split()
) | {"The Hague"}

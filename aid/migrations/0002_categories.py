"""The ledger's category taxonomy, loaded as data so every database has it."""

from django.db import migrations

CATEGORIES = [
    ("aircraft", "Aircraft", "Combat aircraft and helicopters."),
    (
        "air-defence",
        "Air defence",
        "Air-defence systems and their interceptor missiles (HAWK, Stinger).",
    ),
    ("artillery", "Artillery", "Howitzers, mortars, rocket launchers."),
    (
        "ammunition",
        "Ammunition",
        "Artillery shells, rockets, small-arms ammunition "
        "(155 mm and 105 mm shells, HIMARS ammunition).",
    ),
    (
        "armoured-vehicles",
        "Armoured vehicles",
        "Tanks, infantry fighting vehicles, armoured personnel carriers (M113, CV90, VAB).",
    ),
    ("anti-tank", "Anti-tank", "Anti-tank missiles and launchers (TOW, Javelin, AT4)."),
    ("missiles", "Missiles", "Long-range strike missiles."),
    ("drones", "Drones", "Unmanned vehicles and loitering munitions."),
    ("naval", "Naval", "Boats, ships and maritime systems."),
    ("vehicles", "Vehicles", "Trucks, trailers and other unarmoured vehicles."),
    (
        "equipment",
        "Equipment",
        "Night vision, communications, protective gear, spare parts and maintenance.",
    ),
    ("training", "Training", "Training and services."),
    (
        "funding",
        "Funding",
        "Money pledged for military aid and not tied to specific equipment.",
    ),
]


def load(apps, schema_editor):
    Category = apps.get_model("aid", "Category")
    for position, (slug, name, definition) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "definition": definition, "position": position}
        )


def unload(apps, schema_editor):
    Category = apps.get_model("aid", "Category")
    Category.objects.filter(slug__in=[slug for slug, _, _ in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("aid", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]

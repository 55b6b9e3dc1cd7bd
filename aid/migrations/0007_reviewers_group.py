"""The Reviewers group: everything Analysts do, and publishing and unpublishing agreements.

Analysts draft and edit; a second person, a reviewer, publishes (README,
"Review, then publish"). A reviewer who is also an analyst belongs to both.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Reviewers"
# The Analysts' permissions (0003), and publishing.
PERMISSIONS = {
    "donor": ["add", "change", "view"],
    "category": ["view"],
    "agreement": ["add", "change", "view", "publish"],
    "lineitem": ["add", "change", "view", "delete"],
    "source": ["add", "change", "view"],
    "citation": ["add", "change", "view", "delete"],
}


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("aid")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    codenames = [f"{action}_{model}" for model, actions in PERMISSIONS.items() for action in actions]
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="aid", codename__in=codenames)
    )


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("aid", "0006_history_and_publish_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]

"""Give the shipped catalogue its structured hard requirements and checklists, read from its words."""

from django.db import migrations


def derive(apps, schema_editor):  # type: ignore[no-untyped-def]
    from refuge.relocation.requirements import derived_checklist, derived_requirements

    Pathway = apps.get_model("relocation", "Pathway")
    for pathway in Pathway.objects.filter(organisation__isnull=True):
        pathway.hard_requirements = derived_requirements(
            who_applies=pathway.who_applies,
            requirements=pathway.requirements,
            in_country_eligible=pathway.in_country_eligible,
            name=pathway.name,
        )
        pathway.checklist = derived_checklist(pathway.hard_requirements)
        pathway.save(update_fields=["hard_requirements", "checklist"])


class Migration(migrations.Migration):
    dependencies = [("relocation", "0003_structured_requirements_private_pathways")]
    operations = [migrations.RunPython(derive, migrations.RunPython.noop)]

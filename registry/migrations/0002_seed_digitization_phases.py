from django.db import migrations

# Numbering as in the provincial plans (some Ministry documents number them differently).
PHASES = [
    (1, "Giai đoạn 1: từ 01/01/2016", 2016, None),
    (2, "Giai đoạn 2: 2006–2015", 2006, 2015),
    (3, "Giai đoạn 3: 1999–2005", 1999, 2005),
    (4, "Giai đoạn 4: 1976–1998", 1976, 1998),
    (5, "Giai đoạn 5: đến 1975", None, 1975),
]


def seed(apps, schema_editor):
    Phase = apps.get_model("registry", "DigitizationPhase")
    for number, name, year_from, year_to in PHASES:
        Phase.objects.update_or_create(
            number=number, defaults={"name": name, "year_from": year_from, "year_to": year_to}
        )


def unseed(apps, schema_editor):
    apps.get_model("registry", "DigitizationPhase").objects.filter(number__in=[p[0] for p in PHASES]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]

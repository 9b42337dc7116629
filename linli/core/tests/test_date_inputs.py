"""A browser's date input reads only ISO dates (2026-01-02): in Chinese, Django's default format
(2026/01/02) would leave the field blank in the browser, and saving the form would drop the date."""

from datetime import date

from django.utils import translation

from linli.health.forms import LabResultForm
from linli.residents.forms import ResidentForm
from linli.tracing.forms import PeriodForm
from linli.workforce.forms import HoursForm


def test_date_inputs_render_iso_dates_in_chinese():
    with translation.override("zh-hans"):
        for form, name in (
            (ResidentForm(initial={"birth_date": date(1950, 3, 8)}), "birth_date"),
            (LabResultForm(initial={"sampled_on": date(1950, 3, 8)}), "sampled_on"),
            (PeriodForm(initial={"since": date(1950, 3, 8)}), "since"),
            (HoursForm(initial={"day": date(1950, 3, 8)}), "day"),
        ):
            assert 'value="1950-03-08"' in str(form[name])

"""The open licences a page may carry, what each one asks of whoever reuses the page, and which
licences an adaptation may take.

Rules for an adaptation ("Adapter ce commun pour mon lieu"):
- every licence here asks for attribution (CC0 and the Licence Ouverte aside: CC0 asks
  nothing; the Licence Ouverte asks to name the source), so an adaptation always links to its
  source and lists its authors;
- a share-alike source (CC BY-SA, CC BY-NC-SA) keeps its licence: the adaptation cannot be
  relicensed more restrictively, nor more openly;
- a non-commercial source (NC) is flagged: its adaptation stays non-commercial;
- a permissive source (CC BY, CC0, Licence Ouverte) may be adapted under any licence that
  is not more open than the source's obligations allow (CC BY keeps attribution: not CC0).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Licence(models.TextChoices):
    CC_BY_SA = "cc-by-sa-4.0", "CC BY-SA 4.0"
    CC_BY = "cc-by-4.0", "CC BY 4.0"
    CC0 = "cc0-1.0", "CC0 1.0"
    ETALAB = "etalab-2.0", "Licence Ouverte 2.0"
    CC_BY_NC_SA = "cc-by-nc-sa-4.0", "CC BY-NC-SA 4.0"


DEFAULT = Licence.CC_BY_SA


@dataclass(frozen=True)
class LicenceInfo:
    code: str
    name: str
    long_name: Promise | str
    url: str
    badge: str
    """Static path of the badge image."""
    attribution: bool
    share_alike: bool
    non_commercial: bool
    no_derivatives: bool = False


INFO: dict[str, LicenceInfo] = {
    Licence.CC_BY_SA: LicenceInfo(
        Licence.CC_BY_SA, "CC BY-SA 4.0",
        _("Creative Commons Attribution - Share Alike 4.0 International"),
        "https://creativecommons.org/licenses/by-sa/4.0/deed.fr",
        "commons/licences/cc-by-sa.svg", attribution=True, share_alike=True,
        non_commercial=False,
    ),
    Licence.CC_BY: LicenceInfo(
        Licence.CC_BY, "CC BY 4.0", _("Creative Commons Attribution 4.0 International"),
        "https://creativecommons.org/licenses/by/4.0/deed.fr",
        "commons/licences/cc-by.svg", attribution=True, share_alike=False,
        non_commercial=False,
    ),
    Licence.CC0: LicenceInfo(
        Licence.CC0, "CC0 1.0", _("Creative Commons Zero: public domain dedication"),
        "https://creativecommons.org/publicdomain/zero/1.0/deed.fr",
        "commons/licences/cc0.svg", attribution=False, share_alike=False,
        non_commercial=False,
    ),
    Licence.ETALAB: LicenceInfo(
        Licence.ETALAB, "Licence Ouverte 2.0", _("Etalab Open Licence 2.0"),
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "commons/licences/etalab.svg", attribution=True, share_alike=False,
        non_commercial=False,
    ),
    Licence.CC_BY_NC_SA: LicenceInfo(
        Licence.CC_BY_NC_SA, "CC BY-NC-SA 4.0",
        _("Creative Commons Attribution - NonCommercial - Share Alike 4.0 International"),
        "https://creativecommons.org/licenses/by-nc-sa/4.0/deed.fr",
        "commons/licences/cc-by-nc-sa.svg", attribution=True, share_alike=True,
        non_commercial=True,
    ),
}  # fmt: skip


def info(code: str) -> LicenceInfo:
    return INFO.get(code) or INFO[DEFAULT]


def adaptation_licences(source: str) -> list[str]:
    """The licences an adaptation of a page under `source` may carry, the source's first."""
    src = info(source)
    if src.share_alike:
        return [src.code]
    if src.code == Licence.CC0:
        return [src.code] + [code for code in INFO if code != src.code]
    # CC BY and the Licence Ouverte: attribution stays; any licence that keeps it.
    return [src.code] + [code for code in INFO if code not in (src.code, Licence.CC0)]


def is_flagged(code: str) -> bool:
    """NC (and ND) sources: reusing them has limits the adapter must see before adapting."""
    licence = info(code)
    return licence.non_commercial or licence.no_derivatives

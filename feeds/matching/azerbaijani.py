"""The Azerbaijani suffix inventory shared by tokenising and stemming.

Suffixes stack in a fixed order after the stem: plural, possessive, case, copula
(``Səfərov-lar-ın``, ``qardaş-lar-ı-nın``, ``Bakı-da-kı``). Each layer lists every vowel-harmony
variant, including those after a vowel (``-nın``, ``-ya``, ``-nda``).
"""

COPULA = ("dır", "dir", "dur", "dür", "tır", "tir", "tur", "tür")
CASE = (
    # ablative, locative (and locative + -kı "the one in"), genitive, dative, accusative, instrumental
    *("dan", "dən", "tan", "tən", "ndan", "ndən"),
    *("da", "də", "ta", "tə", "nda", "ndə", "dakı", "dəki", "takı", "təki", "ndakı", "ndəki"),
    *("ın", "in", "un", "ün", "nın", "nin", "nun", "nün"),
    *("a", "ə", "ya", "yə", "na", "nə"),
    *("ı", "i", "u", "ü", "nı", "ni", "nu", "nü", "yı", "yi", "yu", "yü"),
    *("la", "lə", "yla", "ylə"),
)
POSSESSIVE = ("ları", "ləri", "sı", "si", "su", "sü", "ı", "i", "u", "ü")
PLURAL = ("lar", "lər")

# Outermost first, as they are peeled off a word.
LAYERS = (COPULA, CASE, POSSESSIVE, PLURAL)

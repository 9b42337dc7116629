"""Encryption at rest and the keyed lookup hash."""

import pytest

from linli.core import crypto

NUMBER = "42010619500308011X"


def test_round_trip_and_fresh_ciphertext_each_time():
    one, two = crypto.encrypt(NUMBER), crypto.encrypt(NUMBER)
    assert one != two  # Fernet adds a random IV: equal numbers do not look equal
    assert NUMBER not in one
    assert crypto.decrypt(one) == crypto.decrypt(two) == NUMBER


def test_keyed_hash_is_stable_and_depends_on_the_key(settings):
    first = crypto.keyed_hash(NUMBER)
    assert first == crypto.keyed_hash(NUMBER)
    assert first != crypto.keyed_hash(NUMBER[:-1] + "1")
    assert len(first) == 64
    settings.LINLI_FIELD_KEY = "another key"
    assert crypto.keyed_hash(NUMBER) != first


def test_a_wrong_key_cannot_decrypt(settings):
    token = crypto.encrypt(NUMBER)
    settings.LINLI_FIELD_KEY = "another key"
    with pytest.raises(ValueError, match="cannot decrypt"):
        crypto.decrypt(token)


def test_damaged_ciphertext_cannot_be_decrypted():
    with pytest.raises(ValueError):
        crypto.decrypt("not a token")

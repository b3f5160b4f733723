from medborg.cases import tokens


def test_new_token_carries_at_least_128_bits():
    token = tokens.new_token()
    assert len(token) == 43  # 32 bytes, base64url without padding
    assert tokens.new_token() != token


def test_submission_token_is_stable_per_key_and_differs_between_keys():
    key = tokens.new_submission_key()
    assert tokens.token_for_submission(key) == tokens.token_for_submission(key)
    assert tokens.token_for_submission(key) != tokens.token_for_submission(
        tokens.new_submission_key()
    )
    assert len(tokens.token_for_submission(key)) == 43


def test_submission_token_depends_on_the_secret_key(settings):
    key = tokens.new_submission_key()
    first = tokens.token_for_submission(key)
    settings.SECRET_KEY = "another-secret-key-" * 3
    assert tokens.token_for_submission(key) != first


def test_hash_accepts_malformed_tokens():
    assert len(tokens.hash_token("\udcff/../%00")) == 64


def test_submission_key_shape():
    assert tokens.is_submission_key(tokens.new_submission_key())
    assert not tokens.is_submission_key("short")
    assert not tokens.is_submission_key("x" * 40 + "!")

import dicodec


def test_version_and_limit_roundtrip():
    assert dicodec.__version__.count(".") == 2
    old = dicodec.get_max_alloc()
    try:
        dicodec.set_max_alloc(1234)
        assert dicodec.get_max_alloc() == 1234
        dicodec.set_max_alloc(None)  # 0 is refused (issue 17)
        assert dicodec.get_max_alloc() == 16 << 30
    finally:
        dicodec.set_max_alloc(old)


def test_errors_are_value_errors():
    assert issubclass(dicodec.MalformedError, dicodec.DicodecError)
    assert issubclass(dicodec.DicodecError, ValueError)
    e = dicodec.MalformedError("bad", 12)
    assert e.offset == 12

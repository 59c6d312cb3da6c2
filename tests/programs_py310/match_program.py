def match_statement(x):
    match 1:
        case 1:
            y = x
        case _:
            y = 2.0 * x
    return y

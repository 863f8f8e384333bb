-- The casts of staging on this engine (every build runs it, so the PostgreSQL and Spark builds
-- check their dispatched macros too): a count string becomes a bigint only when it is ASCII
-- digits within int64 (clarity_count_to_int), a double only when it is finite
-- (clarity_finite_or_null). Lists every case whose result differs from the expected one.
{%- set double = clarity_type_double() %}

with

count_cases as (

    select
        raw_value,
        expected_value,
        {{ clarity_count_to_int('raw_value') }} as actual_value
    from (
        values
        ('45', 45),
        ('0', 0),
        ('007', 7),
        ('00000000000000000000045', 45),
        ('9223372036854775807', 9223372036854775807),
        ('9223372036854775808', null),
        ('18446744073709551616', null),
        ('11111111111111111111111', null),
        ('-5', null),
        ('+5', null),
        ('1e3', null),
        ('12.0', null),
        (' 12 ', null),
        ('', null),
        ('abc', null),
        (null, null)
    ) as cases (raw_value, expected_value)  -- noqa: AL05

),

number_cases as (

    select
        raw_value,
        cast(expected_value as {{ double }}) as expected_value,
        {{ clarity_finite_or_null('cast(raw_value as ' ~ double ~ ')') }} as actual_value
    from (
        values
        ('15.56', 15.56),
        ('0', 0),
        ('100', 100),
        ('-0.5', -0.5),
        ('NaN', null),
        ('Infinity', null),
        ('-Infinity', null),
        (null, null)
    ) as cases (raw_value, expected_value)  -- noqa: AL05

),

failures as (

    select
        'clarity_count_to_int' as macro_name,
        raw_value,
        cast(expected_value as {{ dbt.type_string() }}) as expected_value,
        cast(actual_value as {{ dbt.type_string() }}) as actual_value
    from count_cases
    where actual_value is distinct from expected_value
    union all
    select
        'clarity_finite_or_null' as macro_name,
        raw_value,
        cast(expected_value as {{ dbt.type_string() }}) as expected_value,
        cast(actual_value as {{ dbt.type_string() }}) as actual_value
    from number_cases
    where actual_value is distinct from expected_value

)

select
    macro_name,
    raw_value,
    expected_value,
    actual_value
from failures

-- Secret URL values masked in every form, on this engine (every build runs it, so the PostgreSQL
-- and Spark builds check their regular expressions too): each raw URL, masked by
-- clarity_mask_secret_params, must read `masked_url` (and masking it again changes nothing), and
-- normalised from there by clarity_normalize_url, `page_url`. The loader's Python masking
-- (ingestion/api/secrets.py) and the offline service's canonical_url are held to these same
-- cases by tests/unit/test_secrets.py. Lists every case that comes out differently.
with

cases as (

    select
        raw_url,
        masked_url,
        page_url
    from (
        values
        (
            'https://x.test/a?page=2&lang=en&q=shoes&utm_source=news&keyword=boots&author=ann',
            'https://x.test/a?page=2&lang=en&q=shoes&utm_source=news&keyword=boots&author=ann',
            'https://x.test/a'
        ),
        (
            'https://x.test/cb?code=C0DE&state=s1#id_token=S3CRET&access_token=S3CRET',
            'https://x.test/cb?code=***&state=s1#id_token=***&access_token=***',
            'https://x.test/cb'
        ),
        (
            'https://x.test/?refresh_token=S3CRET&client_secret=S3CRET&x-api-key=S3CRET&auth_token=S3CRET',
            'https://x.test/?refresh_token=***&client_secret=***&x-api-key=***&auth_token=***',
            'https://x.test/'
        ),
        (
            'https://x.test/login?PHPSESSID=S3CRET&sessid=S3CRET&passwd=S3CRET&Password=S3CRET',
            'https://x.test/login?PHPSESSID=***&sessid=***&passwd=***&Password=***',
            'https://x.test/login'
        ),
        (
            'https://b.test/o.png?X-Amz-Credential=S3CRET&X-Amz-Signature=S3CRET&X-Amz-Date=20260311',
            'https://b.test/o.png?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Date=20260311',
            'https://b.test/o.png'
        ),
        (
            'https://x.test/a?Api_Key=S3CRET&monkey=1&design=modern&signal=on&codec=h264&sig=',
            'https://x.test/a?Api_Key=***&monkey=***&design=modern&signal=on&codec=h264&sig=***',
            'https://x.test/a'
        ),
        (
            'https://x.test/shop/cart;jsessionid=S3CRET?lang=en',
            'https://x.test/shop/cart;jsessionid=***?lang=en',
            'https://x.test/shop/cart'
        ),
        (
            'https://x.test/a;JSESSIONID=S3CRET/b/;v=2',
            'https://x.test/a;JSESSIONID=***/b/;v=2',
            'https://x.test/a/b'
        ),
        (
            'https://x.test/r?next=%2Faccount%3Ftoken%3DS3CRET%26lang%3Den&ref=nav',
            'https://x.test/r?next=%2Faccount%3Ftoken%3D***&ref=nav',
            'https://x.test/r'
        ),
        (
            'https://x.test/r?next=%2fa%3fx%3d1%26password%3dS3CRET',
            'https://x.test/r?next=%2fa%3fx%3d1%26password%3d***',
            'https://x.test/r'
        ),
        (
            'https://x.test/r?next=%252Fa%253Fsessionid%253DS3CRET',
            'https://x.test/r?next=%252Fa%253Fsessionid%253D***',
            'https://x.test/r'
        ),
        (
            'https://x.test/p?a=1&amp;password=S3CRET&amp;lang=en&#38;token=S3CRET',
            'https://x.test/p?a=1&amp;password=***&amp;lang=en&#38;token=***',
            'https://x.test/p'
        ),
        (
            'https://user:S3CRET@X.test/a/',
            'https://***@X.test/a/',
            'https://x.test/a'
        ),
        (
            'https://x.test/go?to=https://admin:S3CRET@y.test/&q=a%26b',
            'https://x.test/go?to=https://***@y.test/&q=a%26b',
            'https://x.test/go'
        ),
        (
            'https://x.test/account/confirm?token=***#top',
            'https://x.test/account/confirm?token=***#top',
            'https://x.test/account/confirm'
        ),
        (
            '/bare/path;jsessionid=S3CRET/index.html?sessionid=S3CRET',
            '/bare/path;jsessionid=***/index.html?sessionid=***',
            '/bare/path'
        )
    ) as url_cases (raw_url, masked_url, page_url)  -- noqa: AL05

),

results as (

    select
        raw_url,
        masked_url as expected_masked_url,
        {{ clarity_mask_secret_params('raw_url') }} as masked_url,
        {{ clarity_mask_secret_params(clarity_mask_secret_params('raw_url')) }}
            as masked_twice,
        page_url as expected_page_url,
        {{ clarity_normalize_url(clarity_mask_secret_params('raw_url')) }} as page_url
    from cases

)

select
    raw_url,
    expected_masked_url,
    masked_url,
    masked_twice,
    expected_page_url,
    page_url
from results
where
    masked_url <> expected_masked_url
    or masked_twice <> masked_url
    or page_url <> expected_page_url

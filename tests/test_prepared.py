"""coo/services/prepared.py: a prepared query gives exactly what peewee gives for the same query
(values, their types, None for an outer join that found nothing), on SQLite and PostgreSQL."""
from peewee import JOIN, fn

from coo.models import Card, Certificate, Enterprise, Operator, UserAccount
from coo.services.prepared import Param, Prepared


def _same(ours, peewees):
    assert type(ours) is type(peewees)
    assert ours.__data__ == peewees.__data__
    for name, value in peewees.__data__.items():
        assert type(ours.__data__[name]) is type(value), name


def test_instances_are_peewees_instances_for_every_card_and_account(app, demo):
    cards = (Card.select(Card, Enterprise, Operator).join(Enterprise).switch(Card).join(Operator)
             .where(Card.id == Param("id")))
    prepared = Prepared(cards)
    assert Card.select().count() > 0
    for card in Card.select():
        ((ours_card, ours_enterprise, ours_holder),) = prepared.instances((Card, Enterprise, Operator), id=card.id)
        _same(ours_card, Card.get_by_id(card.id))
        _same(ours_enterprise, Enterprise.get_by_id(card.enterprise_id))
        _same(ours_holder, Operator.get_by_id(card.holder_id))

    accounts = (UserAccount.select(UserAccount, Enterprise, Operator)
                .join(Enterprise, JOIN.LEFT_OUTER).switch(UserAccount).join(Operator, JOIN.LEFT_OUTER)
                .where(UserAccount.id == Param("id")))
    prepared = Prepared(accounts)
    assert UserAccount.select().count() > 0
    for account in UserAccount.select():
        ((ours, enterprise, operator),) = prepared.instances((UserAccount, Enterprise, Operator), id=account.id)
        _same(ours, UserAccount.get_by_id(account.id))
        # An ops account has no enterprise and no operator: None, as peewee's outer join gives.
        assert (enterprise is None) == (account.enterprise_id is None)
        assert (operator is None) == (account.operator_id is None)
        if enterprise is not None:
            _same(enterprise, Enterprise.get_by_id(account.enterprise_id))


def test_instances_convert_dates_enums_and_booleans_as_peewee_does(app, demo):
    query = Certificate.select(Certificate).where(Certificate.id == Param("id"))
    prepared = Prepared(query)
    assert Certificate.select().count() > 0
    for cert in Certificate.select().limit(50):
        ((ours,),) = prepared.instances((Certificate,), id=cert.id)
        _same(ours, Certificate.get_by_id(cert.id))


def test_a_missing_value_is_named(app, demo):
    prepared = Prepared(Certificate.select(Certificate.id).where(Certificate.id == Param("id")))
    try:
        prepared.rows()
    except KeyError as error:
        assert "id" in str(error)
    else:
        raise AssertionError("a prepared query ran without its value")


def test_a_prepared_query_connects_when_closed_and_raises_peewees_errors(app, demo):
    import peewee

    from coo.models import database
    prepared = Prepared(Certificate.select(Certificate.id).where(Certificate.id == Param("id")))
    some = Certificate.select().first()
    database.close()
    assert prepared.rows(id=some.id) == [(some.id,)]
    broken = Prepared(Certificate.select(Certificate.id).where(Certificate.id == Param("id")))
    broken.sql = broken.sql.replace('"certificate"', '"no_such_table"')
    try:
        broken.rows(id=1)
    except peewee.DatabaseError as error:       # the driver's error, raised as peewee's
        assert "no_such_table" in str(error)
    else:
        raise AssertionError("a query of a missing table ran")


def test_constants_are_literals_on_sqlite_and_every_result_is_peewees(app, demo):
    """On SQLite a query's own text and integer constants are written into its SQL (a bound
    value compared with a partial index's condition makes SQLite compile the statement again on
    every run); a request's values stay parameters. Whatever is written where, the rows are
    peewee's: a quote in a constant included."""
    from coo.models import Authorisation, database
    from coo.services import rules
    from coo.services.prepared import SqliteDatabase, python_value

    enterprise = Enterprise.select().first()
    Enterprise.update(name_en="O'Brien & Sons; --").where(Enterprise.id == enterprise.id).execute()
    named = Prepared(Enterprise.select(Enterprise.id).where(
        (Enterprise.name_en == "O'Brien & Sons; --") & (Enterprise.id == Param("id"))).limit(1))
    assert named.rows(id=enterprise.id) == [(enterprise.id,)]
    assert named.rows(id=enterprise.id + 10_000) == []

    since, receipt_at = Prepared(rules.authorised_since_query(Param("exporter"))), python_value(Authorisation.receipt_at)
    assert Authorisation.select().where(Authorisation.status == "success").count() > 0
    for row in Enterprise.select(Enterprise.id):
        theirs = (Authorisation.select(fn.MIN(Authorisation.receipt_at))
                  .where((Authorisation.enterprise == row.id) & (Authorisation.status == "success")).scalar())
        assert receipt_at(since.scalar(exporter=row.id)) == theirs
    if isinstance(database.obj, SqliteDatabase):
        assert "'success'" in since.sql and "'O''Brien & Sons; --'" in named.sql
        assert since.sql.count("?") == 1 and named.sql.count("?") == 1     # the request's values

from simulator.accounts.scopes import allows, parse


def test_module_scopes() -> None:
    assert allows(
        ["ZohoCRM.modules.ALL"], service="ZohoCRM", group="modules", action="DELETE", resource="Accounts"
    )
    assert allows(
        ["ZohoCRM.modules.READ"], service="ZohoCRM", group="modules", action="READ", resource="Contacts"
    )
    assert not allows(
        ["ZohoCRM.modules.READ"], service="ZohoCRM", group="modules", action="CREATE", resource="x"
    )
    assert allows(
        ["zohocrm.modules.accounts.all"],
        service="ZohoCRM",
        group="modules",
        action="UPDATE",
        resource="Accounts",
    )
    assert not allows(
        ["ZohoCRM.modules.accounts.ALL"],
        service="ZohoCRM",
        group="modules",
        action="READ",
        resource="Contacts",
    )
    assert allows(
        ["ZohoCRM.modules.WRITE"], service="ZohoCRM", group="modules", action="CREATE", resource="Vendors"
    )
    assert not allows(
        ["ZohoCRM.modules.WRITE"], service="ZohoCRM", group="modules", action="READ", resource="Vendors"
    )


def test_books_full_access_and_service_boundaries() -> None:
    assert allows(["ZohoBooks.FullAccess.all"], service="ZohoBooks", group="settings", action="CREATE")
    assert not allows(
        ["ZohoBooks.fullaccess.all"], service="ZohoCRM", group="modules", action="READ", resource="a"
    )
    assert not allows(["ZohoBooks.contacts.ALL"], service="ZohoBooks", group="settings", action="READ")
    assert not allows([], service="ZohoBooks", group="contacts", action="READ")


def test_parse_accepts_commas_and_spaces() -> None:
    assert parse("a.b.c, d.e.f g.h.i") == ("a.b.c", "d.e.f", "g.h.i")

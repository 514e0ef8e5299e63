"""The press list kept by hand on its page: add, edit, lists, delete and undo, dry runs."""

from support.pages import (
    ROOT,
    button,
    confirmed,
    open_page,
    select,
    user_id,
)

from outreach import campaigns, trash
from outreach.clock import utcnow
from outreach.ops import demo
from outreach.presslist import contacts
from outreach.presslist.contacts import JournalistFilter
from outreach.releases import protected_names

MESSY = ("\ufeffFull Name;E-mail;Publication;Job Title\n"
         "Nia Testwell;nia@gazette.test;Gazette Test;Reporter\n"
         "Broken Row;not-an-address;Gazette Test;Reporter\n").encode("utf-8")


def editor_page(db):
    return open_page("press_list", as_user=user_id(db, "editor"))


def one(db, name: str) -> dict:
    rows, _ = contacts.search(db, JournalistFilter(text=name), limit=5)
    return contacts.get_journalist(db, next(r["id"] for r in rows if r["name"] == name))


def test_add_a_journalist_with_a_mistake_then_fix_it(demo_store):  # noqa: F811
    at = editor_page(demo_store)
    at.text_input(key="add-journalist-0-name").input("Rae Noon")
    at.text_input(key="add-journalist-0-email").input("rae at example")
    at.text_input(key="add-journalist-0-new-outlet").input("Eastside Examiner")
    button(at, "Add journalist").click().run()
    assert any(e.value.startswith("Email: ") for e in at.error)
    # What was typed is still there, to fix.
    assert at.text_input(key="add-journalist-0-name").value == "Rae Noon"
    at.text_input(key="add-journalist-0-email").input("Rae@Example.org")
    button(at, "Add journalist").click().run()
    assert confirmed(at) == ["Added Rae Noon; they are open under One journalist."]
    rae = one(demo_store, "Rae Noon")
    assert (rae["email"], rae["outlet"]) == ("rae@example.org", "Eastside Examiner")
    assert select(at, "Journalist (from the current results)").value == rae["id"]
    assert at.text_input(key="add-journalist-1-name").value == ""


def test_a_duplicate_is_refused_naming_who_is_on_file(demo_store):  # noqa: F811
    ana = one(demo_store, "Ana Quillfeather")
    at = editor_page(demo_store)
    at.text_input(key="add-journalist-0-name").input("Ana Q.")
    at.text_input(key="add-journalist-0-email").input(ana["email"])
    button(at, "Add journalist").click().run()
    assert any("Ana Quillfeather is already on file" in e.value for e in at.error)


def test_edit_every_kind_of_field(demo_store):  # noqa: F811
    ana = one(demo_store, "Ana Quillfeather")
    at = editor_page(demo_store)
    select(at, "Journalist (from the current results)").select(ana["id"]).run()
    form = f"edit-{ana['id']}-0"
    at.text_input(key=f"{form}-phone").input("555-0111")
    at.text_input(key=f"{form}-x_handle").input("https://x.com/ana_q")
    at.text_area(key=f"{form}-notes").input("Prefers mornings.")
    at.selectbox(key=f"{form}-outlet").select("The Labor Herald")
    at.selectbox(key=f"{form}-prefers").select("phone")
    at.checkbox(key=f"{form}-dnc").check()
    button(at, "Save changes").click().run()
    assert any(e.value.startswith("Do Not Contact Reason: ") for e in at.error)
    at.text_input(key=f"{form}-dnc-why").input("Asked us to stop during her leave.")
    button(at, "Save changes").click().run()
    assert confirmed(at)[0].startswith(
        "Saved Ana Quillfeather: Do Not Contact, Do Not Contact Reason")
    ana = one(demo_store, "Ana Quillfeather")
    assert (ana["phone"], ana["x_handle"], ana["notes"], ana["outlet"],
            ana["preferred_contact"], ana["do_not_contact"]) == (
        "555-0111", "ana_q", "Prefers mornings.", "The Labor Herald", "phone", True)


def test_take_someone_off_a_list_and_put_them_on_another(demo_store):  # noqa: F811
    ana = one(demo_store, "Ana Quillfeather")
    at = editor_page(demo_store)
    select(at, "Journalist (from the current results)").select(ana["id"]).run()
    on = ana["lists"][0]
    at.button(key=f"off-{ana['id']}-{on}").click().run()
    assert confirmed(at) == [f"Took Ana Quillfeather off {on}."]
    assert on not in one(demo_store, "Ana Quillfeather")["lists"]
    at.selectbox(key=f"add-list-{ana['id']}").select(on)
    at.button(key=f"add-{ana['id']}").click().run()
    assert on in one(demo_store, "Ana Quillfeather")["lists"]


def test_delete_asks_first_and_can_be_undone(demo_store):  # noqa: F811
    ana = one(demo_store, "Ana Quillfeather")
    at = editor_page(demo_store)
    select(at, "Journalist (from the current results)").select(ana["id"]).run()
    assert at.button(key=f"delete-{ana['id']}").disabled
    at.checkbox(key=f"delete-sure-{ana['id']}").check().run()
    at.button(key=f"delete-{ana['id']}").click().run()
    assert confirmed(at) == ["Deleted Ana Quillfeather: undo it under Recently deleted."]
    assert contacts.count(demo_store, JournalistFilter(text="Quillfeather")) == 0
    [record] = trash.recently_deleted(demo_store, now=utcnow(),
                                      entities=("journalist",))
    assert any(t.value.startswith("Ana Quillfeather (journalist) · deleted by editor")
               for t in at.text)
    at.button(key=f"undo-{record['id']}").click().run()
    assert confirmed(at) == ["Put back Ana Quillfeather (journalist)."]
    assert one(demo_store, "Ana Quillfeather")["lists"] == ana["lists"]


def test_lists_are_created_renamed_and_deleted_on_the_page(demo_store):  # noqa: F811
    at = editor_page(demo_store)
    next(t for t in at.text_input if t.placeholder == "Strike day").input("Strike day")
    button(at, "Create list").click().run()
    assert confirmed(at) == ["Created Strike day."]
    at.selectbox(key="change-list").select("Strike day").run()
    at.text_input(key="list-Strike day-0-name").input("Strike morning")
    button(at, "Save list").click().run()
    assert "Strike morning" in [x["name"] for x in contacts.list_press_lists(demo_store)]
    at.selectbox(key="change-list").select("Labor beat").run()
    at.checkbox(key="delete-list-sure-Labor beat").check().run()
    at.button(key="delete-list-Labor beat").click().run()
    assert "Labor beat" not in [x["name"] for x in contacts.list_press_lists(demo_store)]


def in_order(node):
    """Every element under `node`, top to bottom as the page shows them."""
    for child in getattr(node, "children", {}).values():
        yield child
        yield from in_order(child)


def test_the_dry_run_summarises_and_import_waits_until_it_would_succeed(demo_store):  # noqa: F811
    at = editor_page(demo_store)
    at.get("file_uploader")[0].upload("export.csv", MESSY, "text/csv").run()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Would be added"], metrics["Invalid"]) == ("1", "1")
    assert any("Importing would fail: 1 row(s) are invalid" in e.value for e in at.error)
    assert not any("--skip-invalid" in e.value for e in at.error)
    assert at.button(key="import-0-go").disabled
    # The outcome and the Import button come first, above the columns to check.
    order = [node.type for node in in_order(at.main) if node.type == "metric" or (
        node.type == "selectbox" and node.label.startswith("Column"))]
    assert order.index("selectbox") > order.index("metric")
    assert any(c.value.startswith("Read 2 rows (UTF-8 with BOM, semicolon-separated).")
               for c in at.caption)
    # Columns are named as people name them, never as the code does.
    labels = {s.label: s for s in at.selectbox if s.label.startswith("Column")}
    assert labels["Column “Full Name”"].format_func(labels["Column “Full Name”"].value) == \
        "Name"
    table = next(d.value for d in at.dataframe if "outcome" in d.value.columns)
    assert table.iloc[0]["outcome"] == "invalid" and table.iloc[0]["row"] == 3
    at.checkbox(key="import-0-skip").check().run()
    assert {m.label: m.value for m in at.metric}["Would be skipped"] == "1"
    assert not at.button(key="import-0-go").disabled
    at.button(key="import-0-go").click().run()
    assert confirmed(at)[0].startswith("Imported: 1 added")
    assert contacts.count(demo_store, JournalistFilter(text="Nia Testwell")) == 1
    assert not at.get("file_uploader")[0].value


def test_times_show_in_the_campaign_s_zone_labelled(demo_store):  # noqa: F811
    zone = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN).timezone
    at = editor_page(demo_store)
    assert f"Times in {zone}." in [c.value for c in at.caption]


def test_protected_names_are_corrected_removed_by_an_approver_and_put_back(demo_store):  # noqa: F811
    entry = protected_names.add_protected(demo_store, ROOT, "Pat Doe", ["Patty"], now=utcnow())
    at = open_page("releases", as_user=user_id(demo_store, "editor"))
    at.text_input(key=f"protected-{entry.id}-0-aliases").input("Patty, Pat D.")
    button(at, "Save entry").click().run()
    assert confirmed(at) == ["Saved the entry."]
    assert "Removing a name needs an approver or admin." in [c.value for c in at.caption]
    at = open_page("releases", as_user=user_id(demo_store, "approver"))
    at.checkbox(key=f"unprotect-sure-{entry.id}").check().run()
    at.button(key=f"unprotect-{entry.id}").click().run()
    assert protected_names.list_protected(demo_store, ROOT) == []
    [record] = trash.recently_deleted(demo_store, now=utcnow(), entities=("protected_name",))
    at = open_page("releases", as_user=user_id(demo_store, "editor"))
    at.button(key=f"reprotect-{record['id']}").click().run()
    assert confirmed(at) == ["Protected again."]
    assert protected_names.list_protected(demo_store, ROOT)[0].aliases == ("Patty", "Pat D.")


def test_a_name_from_outside_shows_as_plain_text(demo_store):  # noqa: F811
    """An imported or typed name that is Markdown (a remote image: a tracking pixel) is
    shown as the characters it is, in labels and confirmations alike."""
    hostile = "Rae ![](http://127.0.0.1:9/pixel.gif)"
    jid = contacts.add_journalist(demo_store, ROOT, {"name": hostile}, now=utcnow())
    at = editor_page(demo_store)
    select(at, "Journalist (from the current results)").select(jid).run()
    label = at.checkbox(key=f"delete-sure-{jid}").label
    assert "!\\[\\](http://127.0.0.1:9/pixel.gif)" in label
    at.checkbox(key=f"delete-sure-{jid}").check().run()
    at.button(key=f"delete-{jid}").click().run()
    assert confirmed(at) == ["Deleted Rae !\\[\\](http://127.0.0.1:9/pixel.gif): undo it under "
                             "Recently deleted."]


def test_merge_two_outlets_on_the_page_after_confirming(demo_store):  # noqa: F811
    before = {o["name"]: o["journalists"] for o in contacts.list_outlets(demo_store)}
    herald, ledger = "The Labor Herald", "Riverside Daily Ledger"
    at = editor_page(demo_store)
    at.selectbox(key="merge-outlet-from").select(herald).run()
    at.selectbox(key="merge-outlet-into").select(ledger).run()
    assert at.button(key="merge-outlet-go").disabled
    at.checkbox(key=f"merge-outlet-sure-{herald}-{ledger}").check().run()
    at.button(key="merge-outlet-go").click().run()
    assert confirmed(at) == [f"Merged {herald} into {ledger}. Moved: journalists "
                             f"{before[herald]}, press hits 1, feeds 1."]
    after = {o["name"]: o["journalists"] for o in contacts.list_outlets(demo_store)}
    assert herald not in after
    assert after[ledger] == before[ledger] + before[herald]
    # The next pair needs its own confirmation.
    assert at.button(key="merge-outlet-go").disabled

"""Admins manage the team's canned replies in the console (/console#canned), in a real browser: list and search,
add, edit, delete with a confirmation, the hub's refusals beside the fields; an agent in another console uses
the result as /shortcut at once. At 1366x768 and phone width, in English and Chinese, axe-clean."""

from __future__ import annotations

import pytest

from tests.browser import DESKTOP, PHONE, assert_accessible, expect, shot, staff_page
from tests.clients import PASSWORD, AgentClient, Customer, run_cli, sign_off

WAIT = 60_000


@pytest.fixture(scope="module")
def canned_admin(stack, settings) -> str:
    assert run_cli("-m", "handoff", "add", "cannedadmin", "--name", "Casey", "--role", "admin", "--password", PASSWORD).returncode == 0
    yield "cannedadmin"
    sign_off(settings, "cannedadmin")


def agent_console_with_a_chat(browser, settings, hub):
    """alice at her console with an English chat of her own, her reply box focused."""
    customer = Customer(hub, "en")
    hub.post(f"/api/conversations/{customer.id}/handoff", headers=customer.headers)
    ctx, console = staff_page(browser, settings.hub_url, "/console", "alice", DESKTOP)
    console.locator(f'#queue li[data-cid="{customer.id}"] button.claim').click(timeout=WAIT)
    expect(console.locator("#reply")).to_be_focused(timeout=WAIT)
    return ctx, console


def offered(console, typed: str):
    """What the reply box offers for what the agent typed (the list of canned replies)."""
    reply = console.locator("#reply")
    reply.fill("")
    reply.fill(typed)
    return console.locator("#canned")


def add_reply(admin, shortcut: str, language: str, title: str, text: str) -> None:
    """A new reply through the view's form, saved with the Save button."""
    admin.locator("#canned-new").click()
    admin.locator("#ca-shortcut").fill(shortcut)
    admin.locator("#ca-language").select_option(language)
    admin.locator("#ca-title").fill(title)
    admin.locator("#ca-text").fill(text)
    admin.locator("#ca-save").click()


@pytest.mark.usefixtures("manual_assignment")
def test_an_admin_adds_edits_and_deletes_a_canned_reply_and_an_agent_uses_it(stack, settings, agents, browser, hub, canned_admin):
    """Canned replies could be managed only through raw API calls: there was no page. An admin opens "Canned
    replies" in the console, adds /ship-days; alice, in her own console, types /ship and gets it; the admin's edit
    reaches her next /ship, and after the delete (asked first) /ship-days offers nothing."""
    actx, admin = staff_page(browser, settings.hub_url, "/console", canned_admin, DESKTOP)
    manage = admin.locator("#canned-manage")
    expect(manage).to_be_visible()
    manage.click()
    view = admin.locator("#canned-admin")
    expect(view).to_be_visible()
    expect(admin.locator("#canned-admin-title")).to_be_focused()
    # The starters of the first start are there, each shortcut with its Chinese and English text.
    starter = admin.locator('.ca-group[data-shortcut="order"]')
    expect(starter.locator('.ca-version[data-lang="en"] .ca-text')).to_contain_text("order number")
    expect(starter.locator('.ca-version[data-lang="zh"] .ca-text')).to_contain_text("订单号")
    # Search by words narrows the list.
    admin.locator("#canned-q").fill("patience")
    expect(admin.locator(".ca-group")).to_have_count(1)
    expect(admin.locator(".ca-group .ca-shortcut")).to_have_text("/sorry")
    admin.locator("#canned-q").fill("")

    # Add, with the keyboard: New reply, the fields, Enter in the title submits.
    admin.locator("#canned-new").focus()
    admin.keyboard.press("Enter")
    expect(admin.locator("#ca-shortcut")).to_be_focused()
    admin.keyboard.type("Ship-Days")
    admin.locator("#ca-language").select_option("en")
    admin.locator("#ca-text").fill("Orders ship within 24 hours of payment.")
    admin.locator("#ca-title").fill("Shipping time")
    admin.locator("#ca-title").press("Enter")
    expect(admin.locator("#canned-status")).to_have_text("Saved /ship-days (English).")
    group = admin.locator('.ca-group[data-shortcut="ship-days"]')
    expect(group.locator('.ca-version[data-lang="en"] .ca-text')).to_have_text("Orders ship within 24 hours of payment.")
    expect(group.locator('.ca-version[data-lang="en"] .ca-edit')).to_be_focused()
    expect(group.locator(".ca-missing")).to_contain_text("No text in this language yet.")

    # The hub's refusals, beside the field they are about: the shortcut taken, an empty text, a title too long.
    add_reply(admin, "ship-days", "en", "Again", "Something else")
    expect(admin.locator("#ca-shortcut-err")).to_have_text("/ship-days is already used by another English reply. Choose another shortcut, or edit that one.")
    expect(admin.locator("#ca-shortcut")).to_have_attribute("aria-invalid", "true")
    expect(admin.locator("#ca-shortcut")).to_be_focused()
    admin.locator("#ca-shortcut").fill("ship-other")
    admin.locator("#ca-title").fill("T" * 101)
    admin.locator("#ca-text").fill("   ")
    admin.locator("#ca-save").click()
    expect(admin.locator("#ca-text-err")).to_have_text("Write the text the customer is sent.")
    expect(admin.locator("#ca-title-err")).to_have_text("Too long: at most 100 characters (this has 101).")
    expect(admin.locator("#ca-shortcut-err")).to_be_hidden()
    expect(admin.locator("#ca-form-error")).to_have_text("Please fix the marked fields.")
    expect(admin.locator("#ca-title")).to_be_focused()
    shot(admin, "canned-admin-errors")
    assert_accessible(admin, "canned replies with the hub's refusals beside the fields")
    admin.keyboard.press("Escape")
    expect(admin.locator("#canned-form")).to_be_hidden()

    # alice, in another console, gets it as /ship.
    cctx, console = agent_console_with_a_chat(browser, settings, hub)
    expect(offered(console, "/ship").locator(".canned-item", has_text="/ship-days")).to_be_visible()
    console.locator("#reply").press("Enter")
    expect(console.locator("#reply")).to_have_value("Orders ship within 24 hours of payment.")

    # The admin edits it; alice's next /ship has the new text.
    group.locator('.ca-version[data-lang="en"] .ca-edit').click()
    expect(admin.locator("#canned-form-title")).to_have_text("Edit /ship-days")
    expect(admin.locator("#ca-shortcut")).to_have_value("ship-days")
    admin.locator("#ca-text").fill("Orders ship within 12 hours of payment.")
    admin.locator("#ca-save").click()
    expect(admin.locator("#canned-status")).to_have_text("Saved /ship-days (English).")
    expect(group.locator('.ca-version[data-lang="en"] .ca-text')).to_have_text("Orders ship within 12 hours of payment.")
    expect(offered(console, "/ship").locator(".canned-item", has_text="12 hours")).to_be_visible()
    console.locator("#reply").press("Enter")
    expect(console.locator("#reply")).to_have_value("Orders ship within 12 hours of payment.")

    # Delete asks first: "Keep it" keeps it, "Delete" deletes it.
    group.locator('.ca-version[data-lang="en"] .ca-delete').click()
    dialog = admin.locator("dialog.cs-dialog")
    expect(dialog).to_contain_text("Delete /ship-days (English)?")
    expect(dialog).to_contain_text("Orders ship within 12 hours")
    dialog.get_by_role("button", name="Keep it").click()
    expect(group).to_be_visible()
    group.locator('.ca-version[data-lang="en"] .ca-delete').click()
    dialog.get_by_role("button", name="Delete").click()
    expect(admin.locator("#canned-status")).to_have_text("Deleted /ship-days (English).")
    expect(group).to_have_count(0)
    expect(offered(console, "/ship-days").locator(".canned-none")).to_have_text("No canned reply matches “/ship-days”.")
    cctx.close()

    # At phone width the view fits the screen (no sideways scrolling), the buttons on it; axe-clean.
    admin.set_viewport_size(PHONE)
    expect(admin.locator('.ca-group[data-shortcut="hi"]')).to_be_visible()
    assert view.evaluate("(v) => v.scrollWidth <= v.clientWidth"), "no sideways strip"
    edit = admin.locator('.ca-group[data-shortcut="hi"] .ca-edit').first.bounding_box()
    assert edit["x"] >= 0 and edit["x"] + edit["width"] <= PHONE["width"], edit
    shot(admin, "canned-admin-phone")
    assert_accessible(admin, "canned replies at phone width")
    admin.locator("#canned-close").click()
    expect(view).to_be_hidden()
    expect(admin.locator("#tickets-title")).to_be_visible()
    expect(manage).to_be_focused()
    actx.close()


def test_the_canned_replies_view_in_chinese_and_only_for_admins(stack, settings, agents, browser, hub, canned_admin):
    """The view speaks Chinese on a Chinese console (a Chinese text added, a refusal said in Chinese); agents,
    whom the hub refuses the management calls, are not offered it."""
    actx, admin = staff_page(browser, settings.hub_url, "/console#canned", canned_admin, DESKTOP, "zh")
    view = admin.locator("#canned-admin")
    expect(view).to_be_visible()  # the deep link opens it
    expect(admin.locator("#canned-admin-title")).to_have_text("快捷回复")
    # A shortcut with an English text only: "添加" its Chinese one, prefilled.
    add_reply(admin, "gift-wrap", "en", "Gift wrap", "Gift wrapping is free.")
    expect(admin.locator("#canned-status")).to_have_text("已保存 /gift-wrap（英文）。")
    group = admin.locator('.ca-group[data-shortcut="gift-wrap"]')
    group.locator(".ca-add-lang").click()
    expect(admin.locator("#ca-shortcut")).to_have_value("gift-wrap")
    expect(admin.locator("#ca-language")).to_have_value("zh")
    expect(admin.locator("#ca-title")).to_be_focused()
    admin.locator("#ca-title").fill("礼品包装")
    admin.locator("#ca-save").click()
    expect(admin.locator("#ca-text-err")).to_have_text("请填写发给顾客的内容。")
    admin.locator("#ca-text").fill("礼品包装免费。")
    admin.locator("#ca-save").click()
    expect(group.locator('.ca-version[data-lang="zh"] .ca-text')).to_have_text("礼品包装免费。")
    expect(group.locator('.ca-version[data-lang="zh"] .ca-edit')).to_have_text("编辑")
    admin.locator("#canned-lang").select_option("zh")
    expect(group.locator(".ca-version")).to_have_count(1)
    shot(admin, "canned-admin-zh")
    assert_accessible(admin, "canned replies in Chinese")
    boss = AgentClient(hub, canned_admin)
    for reply in hub.get("/api/admin/canned", headers=boss.headers).json():
        if reply["shortcut"] == "gift-wrap":
            assert hub.delete(f"/api/admin/canned/{reply['id']}", headers=boss.headers).status_code == 204
    actx.close()

    gctx, agent = staff_page(browser, settings.hub_url, "/console#canned", "bob", DESKTOP)
    expect(agent.locator("#tickets-title")).to_be_visible()
    expect(agent.locator("#canned-manage")).to_be_hidden()
    expect(agent.locator("#canned-admin")).to_be_hidden()
    gctx.close()

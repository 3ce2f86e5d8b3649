"""The Convention at its edges, through the HTTP API: what the status certificate says for every
kind of person (Arts. 43, 53(4), 58, 71; Samoa Act ss.14-16) and the rules of the staff
(Arts. 20, 22). Each test names its article."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.helpers import Ministry, days_ago, establish, head, relations_and_post
from tests.test_api_scenarios import outbox, wait_for


def person(name: str, *nationalities: str, resident: bool = False) -> dict[str, Any]:
    return {"full_name": name, "nationalities": list(nationalities), "permanent_resident": resident}


async def open_post(ss: Ministry, rs: Ministry, ss_code: str, rs_code: str) -> dict[str, Any]:
    """Consular relations between the two States (established a year ago) and a consulate of SS,
    consented to by RS."""
    relations = await ss.get("/v1/relations")
    if not any(r["id"] == "-".join(sorted((ss_code, rs_code))) for r in relations):
        await establish(ss, rs, rs_code, effective_date=days_ago(400))
    post = await ss.post("/v1/posts", {"receiving_state": rs_code, "seat": "Capital", "classification": "consulate",
                                       "district": "The whole State", "headed_by": "career",
                                       "effective_date": days_ago(365)}, expect=201)
    return await rs.act("posts", post["id"], "consent", {"effective_date": days_ago(365)})


async def serving(ss: Ministry, rs: Ministry, post: dict[str, Any], role: str, who: dict[str, Any],
                  category: str = "career", **particulars: Any) -> str:
    """A member in functions: appointed, arrived (53(1)) and entered upon duties 30 days ago."""
    member = await ss.post(f"/v1/posts/{post['id']}/members",
                           {"role": role, "category": category, "person": who, "effective_date": days_ago(40),
                            **particulars}, expect=201)
    if member["needs_nationality_consent"]:
        await rs.act("members", member["id"], "consent-nationality", {"effective_date": days_ago(35)})
    await ss.act("members", member["id"], "notify-arrival", {"effective_date": days_ago(31)})
    await ss.act("members", member["id"], "enter-duties", {"effective_date": days_ago(30)})
    return member["id"]  # type: ignore[no-any-return]


async def status(ministry: Ministry, member_id: str, on: str | None = None) -> dict[str, Any]:
    return await ministry.get(f"/v1/members/{member_id}/status", on=on or days_ago(0))  # type: ignore[no-any-return]


async def test_immunity_for_official_acts_is_the_officers_and_employees_only(http):
    """VCCR 43(1), 53(4): consular officers and consular employees have immunity for official acts;
    members of the service staff have none, only their exemptions (Arts. 48, 49(2))."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    officer = await serving(fra, wsm, post, "officer", person("Luc Petit", "FRA"), **{"class": "vice-consul"})
    employee = await serving(fra, wsm, post, "employee", person("Marie Roux", "FRA"))
    driver = await serving(fra, wsm, post, "service", person("Jean Blanc", "FRA"))

    found = await status(wsm, officer)
    assert (found["privileges"], found["scope"], found["official_acts_immunity"]) == (True, "full", True)
    assert found["articles"] == ["VCCR 41(1)", "VCCR 43(1)", "VCCR 53(1)"]
    found = await status(wsm, employee)
    assert (found["privileges"], found["scope"], found["official_acts_immunity"]) == (True, "official-acts", True)
    assert found["articles"] == ["VCCR 43(1)", "VCCR 53(1)"]
    found = await status(wsm, driver)
    assert (found["privileges"], found["scope"], found["official_acts_immunity"]) == (True, "limited", False)
    assert found["articles"] == ["VCCR 48(1)", "VCCR 49(2)"]
    # Before the window, nothing; immunity for official acts only once the person has served.
    before = await status(wsm, employee, days_ago(60))
    assert (before["privileges"], before["scope"], before["official_acts_immunity"]) == (False, "none", False)


async def test_nationals_and_permanent_residents_have_what_article_71_leaves(http):
    """VCCR 71(1): a consular officer who is a national or permanent resident of the receiving
    State has immunity for official acts only; 71(2): other members have what that State grants,
    none by default; Samoa Act s.15 grants consular employees of a career-headed post immunity
    for official acts. Privileges never begin at an arrival for them (53(1): already there)."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    officer = await serving(fra, wsm, post, "officer", person("Sina Tuilagi", "WSM"), **{"class": "consul"})
    employee = await serving(fra, wsm, post, "employee", person("Tavita Lemalu", "FRA", resident=True))
    guard = await serving(fra, wsm, post, "service", person("Malia Faleolo", "WSM"))

    found = await status(wsm, officer)
    assert (found["scope"], found["articles"], found["official_acts_immunity"]) == ("official-acts", ["VCCR 71(1)"], True)
    member = await wsm.get(f"/v1/members/{officer}")
    assert member["privileges"]["began_act"] == "enter-duties"  # not the arrival: 53(1), already in Samoa
    found = await status(wsm, employee)
    assert (found["scope"], found["articles"]) == ("official-acts", ["Samoa Act s.15", "VCCR 71(2)"])
    assert found["official_acts_immunity"] is True
    found = await status(wsm, guard)
    assert (found["privileges"], found["scope"], found["articles"]) == (False, "none", ["VCCR 71(2)"])
    assert found["official_acts_immunity"] is False

    # Where no statute like s.15 applies, a national employee has none (71(2)).
    hun, aut = Ministry(http, "tok-hun"), Ministry(http, "tok-aut")
    elsewhere = await open_post(hun, aut, "HUN", "AUT")
    clerk = await serving(hun, aut, elsewhere, "employee", person("Andreas Georgiou", "AUT"))
    found = await status(aut, clerk)
    assert (found["privileges"], found["scope"], found["articles"]) == (False, "none", ["VCCR 71(2)"])


async def test_a_certificate_rests_only_on_articles_with_force_of_law(http):
    """Samoa Act s.14(1): only the articles the receiving State gave force of law count; the
    certificate names those it rests on and those it cannot."""
    cze, svk = Ministry(http, "tok-cze"), Ministry(http, "tok-svk")
    post = await open_post(cze, svk, "CZE", "SVK")
    officer = await serving(cze, svk, post, "officer", person("Rui Costa", "CZE"), **{"class": "consul"})
    assert (await status(svk, officer))["scope"] == "full"  # no statute known: every article counts
    profile = await svk.get("/v1/profiles/SVK")
    profile["force_of_law"] = ["43", "53"]
    assert (await http.put("/v1/profiles/SVK", json=profile, headers=svk.headers)).status_code == 200
    found = await status(svk, officer)
    assert (found["scope"], found["articles"], found["not_in_force"]) == (
        "official-acts", ["VCCR 43(1)"], ["VCCR 41(1)"])
    profile["force_of_law"] = ["1", "5"]
    assert (await http.put("/v1/profiles/SVK", json=profile, headers=svk.headers)).status_code == 200
    found = await status(svk, officer)
    assert (found["privileges"], found["scope"], found["official_acts_immunity"]) == (False, "none", False)
    # Samoa's own list (s.14(1)(a)) holds every article the certificate rests on.
    samoa = await svk.get("/v1/profiles/WSM")
    assert {"41(1)", "43", "53", "71"} <= set(samoa["force_of_law"]) and samoa["employee_nationals_official_acts"]


async def test_a_reciprocity_order_narrows_every_certificate_from_its_date(http):
    """Samoa Act s.16 with VCCR 72(2)(a): the receiving State's Order restricts the privileges of
    the other State's posts from its date until it is lifted, and only it may lift it."""
    svn, hrv = Ministry(http, "tok-svn"), Ministry(http, "tok-hrv")
    post = await open_post(svn, hrv, "SVN", "HRV")
    officer = await serving(svn, hrv, post, "officer", person("Elena Rossi", "SVN"), **{"class": "consul"})
    relations = await hrv.act("relations", "HRV-SVN", "restrict-privileges",
                              {"order": "Order 2026/7", "scope": "official-acts", "effective_date": days_ago(10)})
    assert relations["restrictions"] == [{"order": "Order 2026/7", "scope": "official-acts", "issued_by": "HRV",
                                          "effective_date": days_ago(10), "lifted_on": None}]
    assert (await status(hrv, officer, days_ago(20)))["scope"] == "full"
    found = await status(hrv, officer, days_ago(5))
    assert (found["scope"], found["restricted_by"]) == ("official-acts", "Order 2026/7")
    assert found["articles"][-2:] == ["Samoa Act s.16", "VCCR 72(2)(a)"]
    refused = await svn.act("relations", "HRV-SVN", "lift-restriction", {"order": "Order 2026/7"}, expect=403)
    assert refused["article"] == "VCCR 72(2)(a)"
    unknown = await hrv.act("relations", "HRV-SVN", "lift-restriction", {"order": "Order 1999/1"}, expect=409)
    assert unknown["article"] == "VCCR 72(2)(a)"
    await hrv.act("relations", "HRV-SVN", "lift-restriction", {"order": "Order 2026/7", "effective_date": days_ago(2)})
    assert (await status(hrv, officer, days_ago(5)))["scope"] == "official-acts"  # the past stays as it was
    assert (await status(hrv, officer))["scope"] == "full"
    lifecycles = await hrv.get("/v1/lifecycles")
    assert {"restrict-privileges", "lift-restriction"} <= {a["act"] for a in lifecycles["relations"]["acts"]}


async def test_the_staff_ceiling_counts_the_consular_staff_not_the_head(http):
    """VCCR 20 with 1(1)(h): a ceiling of one leaves room for the head and one member of staff."""
    cze, svk = Ministry(http, "tok-cze"), Ministry(http, "tok-svk")
    post = await open_post(cze, svk, "CZE", "SVK")
    profile = await svk.get("/v1/profiles/SVK")
    profile["staff_ceiling"] = {post["id"]: 1}
    assert (await http.put("/v1/profiles/SVK", json=profile, headers=svk.headers)).status_code == 200
    members = f"/v1/posts/{post['id']}/members"
    clerk = {"role": "employee", "category": "career", "person": person("Ana Lopes", "CZE")}
    await cze.post(members, clerk, expect=201)
    await cze.post(members, {"role": "head", "category": "career", "class": "consul",
                             "person": person("João Silva", "CZE")}, expect=201)
    refused = await cze.post(members, clerk, expect=409)
    assert refused["article"] == "VCCR 20"


async def test_consent_to_a_national_of_the_receiving_state_cites_22_2(http):
    """VCCR 22(2): consular officers may be appointed from the receiving State's nationals only
    with its express consent, which it may withdraw at any time."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    member = await fra.post(f"/v1/posts/{post['id']}/members",
                            {"role": "officer", "category": "career", "class": "vice-consul",
                             "person": person("Ioane Ioane", "WSM")}, expect=201)
    assert member["needs_nationality_consent"] == "VCCR 22(2)"
    member = await wsm.act("members", member["id"], "consent-nationality")
    assert member["acts"][-1]["article"] == "VCCR 22(2)"
    await fra.act("members", member["id"], "enter-duties")
    member = await wsm.act("members", member["id"], "withdraw-nationality-consent")
    assert (member["acts"][-1]["article"], member["end_ground"]) == ("VCCR 22(2)", "VCCR 22(2), 25(c)")


async def test_an_officer_is_notified_with_class_and_designation_and_may_get_an_exequatur_unasked(http):
    """VCCR 19(2): every consular officer is notified with his class (422 naming the field); 9(2):
    his designation is free text beside it; 19(4): the receiving State may grant him an exequatur
    on its own initiative."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    members = f"/v1/posts/{post['id']}/members"
    unclassed = await fra.post(members, {"role": "officer", "category": "career",
                                         "person": person("Paul Vidal", "FRA")}, expect=422)
    assert [e["field"] for e in unclassed["errors"]] == ["class"] and "19(2)" in unclassed["errors"][0]["msg"]
    clerk = await fra.post(members, {"role": "employee", "category": "career", "class": "consul",
                                     "person": person("Anne Morel", "FRA")}, expect=422)
    assert [e["field"] for e in clerk["errors"]] == ["class"]
    officer = await fra.post(members, {"role": "officer", "category": "career", "class": "consul-general",
                                       "designation": "deputy consul-general",
                                       "person": person("Paul Vidal", "FRA")}, expect=201)
    assert (officer["class"], officer["designation"]) == ("consul-general", "deputy consul-general")
    assert "grant-exequatur-unrequested" in (await wsm.get(f"/v1/members/{officer['id']}"))["allowed_acts"]
    refused = await fra.act("members", officer["id"], "grant-exequatur-unrequested", expect=403)
    assert refused["article"] == "VCCR 19(4)"
    officer = await wsm.act("members", officer["id"], "grant-exequatur-unrequested")
    assert officer["exequatur_granted_on"] == days_ago(0) and officer["acts"][-1]["article"] == "VCCR 19(4)"
    again = await wsm.act("members", officer["id"], "grant-exequatur-unrequested", expect=409)
    assert again["article"] == "VCCR 19(4)"


async def test_the_recall_period_runs_from_the_declaration_even_when_dated_in_the_past(http):
    """VCCR 23(2): the sending State's reasonable period to recall starts when the declaration is
    made; one dated 40 days back does not open a 30-day period that has already run out."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    member_id = await serving(fra, wsm, post, "employee", person("Rémi Garnier", "FRA"))
    member = await wsm.act("members", member_id, "declare-non-grata", {"effective_date": days_ago(20)})
    assert member["state"] == "recall-requested"
    deadline = date.fromisoformat(member["recall_deadline"][:10])
    assert deadline >= date.today() + timedelta(days=29)  # the profile's 30 days, from today
    early = await wsm.act("members", member_id, "cease-to-consider", expect=409)
    assert early["article"] == "VCCR 23(2)"


async def test_a_withdrawal_records_its_own_ground_and_an_arrived_member_can_be_terminated(http):
    """VCCR 25: a withdrawal is 25(a) unless the receiving State declared the person not acceptable
    (23(3)); functions may be notified as ended after arrival and before entering upon duties."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    members = f"/v1/posts/{post['id']}/members"
    clerk = {"role": "employee", "category": "career", "person": person("Inès Faure", "FRA")}
    first = await fra.post(members, clerk, expect=201)
    first = await fra.act("members", first["id"], "withdraw-appointment")
    assert (first["state"], first["end_ground"], first["acts"][-1]["article"]) == ("withdrawn", "VCCR 25(a)", "VCCR 25(a)")
    second = await fra.post(members, clerk, expect=201)
    await wsm.act("members", second["id"], "declare-unacceptable")
    second = await fra.act("members", second["id"], "withdraw-appointment")
    assert second["end_ground"] == "VCCR 23(3)"
    third = await fra.post(members, clerk, expect=201)
    await fra.act("members", third["id"], "notify-arrival")
    third = await fra.act("members", third["id"], "notify-termination")
    assert (third["state"], third["end_ground"]) == ("terminated", "VCCR 25(a)")
    assert third["departure_deadline"] is not None  # privileges began at arrival: 53(3)'s window runs


async def test_one_head_in_functions_at_a_post(http):
    """VCCR 1(1)(c), 10(1): a post has one head; a second cannot be admitted while the first one's
    functions continue, and can once they have ended."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    members = f"/v1/posts/{post['id']}/members"
    first = await fra.post(members, head(effective_date=days_ago(30)), expect=201)
    await fra.act("members", first["id"], "present-instrument", {"effective_date": days_ago(29)})
    await wsm.act("members", first["id"], "grant-exequatur", {"effective_date": days_ago(28)})
    second = await fra.post(members, head(person=person("Claire Dubois", "FRA")), expect=201)
    await fra.act("members", second["id"], "present-instrument")
    for act in ("admit-provisionally", "grant-exequatur"):
        refused = await wsm.act("members", second["id"], act, expect=409)
        assert refused["article"] == "VCCR 1(1)(c), 10(1)"
    await fra.act("members", first["id"], "notify-termination")
    second = await wsm.act("members", second["id"], "grant-exequatur")
    assert second["state"] == "admitted"


async def test_an_acting_head_ends_with_the_post_and_a_diplomatic_agent_needs_a_mission(http):
    """VCCR 15: the acting head's functions end when the post closes; the consular list of any
    later date shows none. 15(4): only where the sending State keeps a diplomatic mission can one
    of its diplomatic agents be designated."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    acting = {"person": person("Paul Durand", "FRA"), "from": days_ago(10), "notified_by": "diplomatic-mission",
              "is_consular_officer": True, "effective_date": days_ago(10)}
    post = await fra.act("posts", post["id"], "designate-acting-head", acting)
    assert post["acting_head"]["person"]["full_name"] == "Paul Durand"
    listed = await wsm.get("/v1/precedence/WSM", on=days_ago(5))
    assert any(e.get("post_id") == post["id"] and e.get("acting") for e in listed["entries"])
    post = await fra.act("posts", post["id"], "close", {"kind": "permanent", "effective_date": days_ago(3)})
    assert post["acting_head"] is None
    assert post["past_acting_heads"][-1]["ended_on"] == days_ago(3)
    assert post["past_acting_heads"][-1]["end_basis"] == "VCCR 15: the post closed"
    listed = await wsm.get("/v1/precedence/WSM", on=days_ago(1))
    assert not any(e.get("post_id") == post["id"] for e in listed["entries"])

    svn2, hrv2 = Ministry(http, "tok-svn"), Ministry(http, "tok-hrv")  # no diplomatic mission between them
    other = await open_post(svn2, hrv2, "SVN", "HRV")
    refused = await svn2.act("posts", other["id"], "designate-acting-head",
                            {**acting, "is_diplomatic_agent": True, "is_consular_officer": False,
                             "notified_by": "head-of-post"}, expect=409)
    assert refused["article"] == "VCCR 15(4)"


async def test_each_state_says_where_it_keeps_a_mission_and_who_represents_it(http):
    """VCCR 2: `update-missions` changes only the caller's own entry, and `sever-diplomatic` leaves
    neither State a mission in the other (2(3): nothing consular changes). VCCR 17(1): a consular
    officer performs diplomatic acts only where his State has no mission and is not represented by
    a third State's."""
    bgr, rou = Ministry(http, "tok-bgr"), Ministry(http, "tok-rou")
    post = await open_post(bgr, rou, "BGR", "ROU")
    relations = await bgr.act("relations", "BGR-ROU", "update-missions", {"diplomatic_missions": ["BGR"]})
    assert relations["diplomatic_missions"] == ["BGR"]
    relations = await rou.act("relations", "BGR-ROU", "update-missions", {"diplomatic_missions": ["ROU"]})
    assert relations["diplomatic_missions"] == ["BGR", "ROU"]  # Sweden's word changed only its own entry
    refused = await rou.act("relations", "BGR-ROU", "update-missions", {"diplomatic_missions": []}, expect=200)
    assert refused["diplomatic_missions"] == ["BGR"]
    refused = await rou.act("relations", "BGR-ROU", "update-missions", {"diplomatic_missions": ["BGR"]}, expect=403)
    assert refused["article"] == "VCCR 2"

    officer = await serving(bgr, rou, post, "officer", person("Ola Nordmann", "BGR"), **{"class": "consul"})
    refused = await bgr.act("members", officer, "authorize-diplomatic-acts", expect=409)
    assert refused["article"] == "VCCR 17(1)"  # Norway keeps a mission in Sweden
    relations = await rou.act("relations", "BGR-ROU", "sever-diplomatic")
    assert (relations["diplomatic_missions"], relations["state"]) == ([], "established")
    relations = await bgr.act("relations", "BGR-ROU", "notify-representation", {"represented_by": "MDA"})
    assert relations["represented_by"] == {"BGR": "MDA"}
    refused = await bgr.act("members", officer, "authorize-diplomatic-acts", expect=409)
    assert (refused["article"], "represented" in refused["detail"]) == ("VCCR 17(1)", True)
    await bgr.act("relations", "BGR-ROU", "notify-representation", {"represented_by": None})
    member = await bgr.act("members", officer, "authorize-diplomatic-acts")
    assert member["diplomatic_acts"] == "authorized"


async def test_after_a_severance_custody_may_go_to_a_third_state_though_a_mission_remains(http):
    """VCCR 27(1)(b): when consular relations are severed, the sending State may entrust the
    premises and archives to a third State acceptable to the receiving State, even where it keeps
    a diplomatic mission there (27(2)'s order applies to a closure)."""
    mda, alb = Ministry(http, "tok-mda"), Ministry(http, "tok-alb")
    await establish(mda, alb, "ALB", diplomatic_missions=["MDA"], effective_date=days_ago(400))
    post = await open_post(mda, alb, "MDA", "ALB")
    await alb.act("relations", "ALB-MDA", "sever")
    post = await wait_for(lambda p: p["state"] == "severed", lambda: mda.get(f"/v1/posts/{post['id']}"))
    post = await mda.act("posts", post["id"], "propose-custodian", {"custodian": {"kind": "third-state", "state": "MNE"}})
    post = await wait_for(lambda p: (p["custody"] or {}).get("state") == "proposed",
                          lambda: mda.get(f"/v1/posts/{post['id']}"))
    assert post["custody"]["custodian"] == {"kind": "third-state", "state": "MNE"}


async def test_a_consented_change_of_seat_and_district_reaches_the_members_and_the_list(http):
    """VCCR 4(3): from the change's date everything that shows the post follows it: its members'
    seat and district, the consular list (16); the head's admission is notified to the new
    district's authorities (14)."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    member = await fra.post(f"/v1/posts/{post['id']}/members", head(effective_date=days_ago(30)), expect=201)
    await fra.act("members", member["id"], "present-instrument", {"effective_date": days_ago(29)})
    await wsm.act("members", member["id"], "grant-exequatur", {"effective_date": days_ago(28)})
    await wait_for(lambda m: m["district_authorities_notified_at"], lambda: wsm.get(f"/v1/members/{member['id']}"))
    await fra.act("posts", post["id"], "request-change",
                  {"seat": "Salelologa", "district": "Savai'i", "effective_date": days_ago(6)})
    post = await wsm.act("posts", post["id"], "consent-change", {"effective_date": days_ago(5)})
    assert (post["seat"], post["district"]) == ("Salelologa", "Savai'i")

    moved = await wait_for(lambda m: m["district"] == "Savai'i" and m["district_authorities_notified_at"],
                           lambda: wsm.get(f"/v1/members/{member['id']}"))
    assert moved["seat"] == "Salelologa"
    assert moved["acts"][-2]["act"] == "post-changed" and moved["acts"][-2]["article"] == "VCCR 4(3)"
    told = [n for n in outbox(member["id"]).values() if n["recipient"] == "district-authorities"]
    assert len(told) == 2 and all(n["article"] == "VCCR 14" for n in told)

    def seat(listing: dict[str, Any]) -> str:
        return next(e["seat"] for e in listing["entries"] if e.get("member_id") == member["id"])

    assert seat(await wsm.get("/v1/precedence/WSM", on=days_ago(10))) == "Apia"
    assert seat(await wsm.get("/v1/precedence/WSM", on=days_ago(5))) == "Salelologa"


async def test_consular_relations_by_mutual_consent(http):
    """VCCR 2(1): a proposal the other State accepts or declines; 2(2): consent to diplomatic
    relations implies it, so such relations are established at once; after a consular severance
    they come back only by a new proposal the other State accepts."""
    mkd, srb = Ministry(http, "tok-mkd"), Ministry(http, "tok-srb")
    proposal = await mkd.post("/v1/relations", {"with_state": "SRB"}, expect=201)
    assert (proposal["state"], proposal["proposed_by"], proposal["proposed_to"]) == ("proposed", "MKD", "SRB")
    early = await mkd.post("/v1/posts", {"receiving_state": "SRB", "seat": "Niš", "classification": "consulate",
                                         "district": "South", "headed_by": "career"}, expect=409)
    assert early["article"] == "VCCR 2(1)"
    own = await mkd.act("relations", "MKD-SRB", "accept", expect=403)  # not to the proposer
    assert own["article"] == "VCCR 2(1)"
    declined = await srb.act("relations", "MKD-SRB", "decline")
    assert (declined["state"], declined["declined_on"]) == ("declined", days_ago(0))
    again = await mkd.post("/v1/relations", {"with_state": "SRB"}, expect=201)
    assert again["state"] == "proposed"
    established = await srb.act("relations", "MKD-SRB", "accept")
    assert (established["state"], established["established_on"]) == ("established", days_ago(0))
    await srb.act("relations", "MKD-SRB", "sever")
    # One State alone cannot restore them, whatever the basis it gives.
    back = await srb.post("/v1/relations", {"with_state": "MKD", "basis": "diplomatic-relations"}, expect=201)
    assert (back["state"], back["proposed_to"]) == ("proposed", "MKD")
    back = await mkd.act("relations", "MKD-SRB", "accept")
    assert back["state"] == "established"
    lifecycles = await mkd.get("/v1/lifecycles")
    assert {"accept", "decline"} <= {a["act"] for a in lifecycles["relations"]["acts"]}

    # 2(2): relations established at once where diplomatic relations imply consent.
    mne, bih = Ministry(http, "tok-mne"), Ministry(http, "tok-bih")
    implied = await mne.post("/v1/relations", {"with_state": "BIH", "basis": "diplomatic-relations"}, expect=201)
    assert (implied["state"], implied["proposed_to"]) == ("established", None)
    assert [r["id"] for r in await bih.get("/v1/relations")] == ["BIH-MNE"]


def test_the_list_shows_no_acting_head_of_a_post_closed_before_closures_ended_them():
    """VCCR 15, 27: a record closed or severed before closures ended acting heads still holds
    one; the consular list of any date after the closure shows none (and a reopened post does)."""
    from datetime import date as day

    from exequatur.models.common import Person
    from exequatur.models.post import ActingHead, Post
    from exequatur.models.precedence import PostFacts, listed_on

    acting = ActingHead(person=Person(full_name="Old Acting", nationalities=["FRA"]), assumed_on=day(2024, 1, 1),
                        notified_on=day(2024, 1, 1), notified_by="diplomatic-mission", is_diplomatic_agent=False,
                        is_consular_officer=True)
    closed = Post(id="P-OLD", sending_state="FRA", receiving_state="WSM", seat="Apia", classification="consulate",
                  district="Samoa", headed_by="career", state="closed", closure="permanent",
                  closed_on=day(2024, 6, 1), acting_head=acting)
    assert [i.standing for i in listed_on([], [closed], day(2024, 5, 31))] == ["acting"]
    assert listed_on([], [closed], day(2024, 6, 1)) == []
    reopened = closed.model_copy(update={"closure": None, "state": "open"})
    assert [i.standing for i in listed_on([], [PostFacts.of(reopened)], day(2024, 7, 1))] == ["acting"]

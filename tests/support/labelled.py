"""Hand-labelled tables for the text classifiers of answer quality and acknowledgments.

Every label was given by reading the text (and, for TWCS, its conversation), by the rules
of docs/metrics.md, before looking at what the classifier says. Sources:

- ``twcs``: the real tweets of tests/fixtures/twcs/twcs_sample.csv (by tweet id);
- ``x-api-v2``, ``x-tweepy``, ``graph``, ``mastodon``: real texts of the API responses in
  /work/shared/fixtures (see tests/fixtures/README.md);
- ``written`` (German) and ``written-en``: texts written for these tables in the style of
  the sample, because no real German customer-support data is available. They are not
  real data, and are marked as such.
"""

from __future__ import annotations

# --- own replies: redirect / template / substantive ---------------------------------------
# (source, id or text, label). TWCS rows name the brand tweet; the text is read from the
# sample. "template" is a pasted text the brand sent to at least two other customers; a
# reply that is both is labelled "redirect" (METRICS.md).

REPLY_LABELS_TWCS: dict[str, str] = {
    "119238": "redirect",  # Please DM your name, zip code and additional details ...
    "119240": "redirect",  # LiveChat is online ... or contact 03331 031 031
    "119243": "substantive",  # Have you tried from another device, Miriam
    "119245": "substantive",  # It's working OK from here ... Does this link help
    "119246": "redirect",  # The team should send you an email shortly
    "119248": "substantive",  # Which version of iOS ...? You can find that in Settings ...
    "119252": "redirect",  # Send us a DM ... (also a template: 119269, 119293)
    "119254": "substantive",  # What device is this happening on? ... versions
    "119257": "substantive",  # The distance could possibly affect playback ...
    "119259": "substantive",  # That's great to hear. If anything comes up ...
    "119261": "substantive",  # You're welcome! ... just give us a shout
    "119262": "redirect",  # Please DM us and let us know any steps you've tried
    "119264": "substantive",  # the updated departure time we have is 15:30
    "119266": "substantive",  # hopefully you will depart very soon
    "119267": "redirect",  # DM us the iOS version your iPhone is running
    "119269": "redirect",  # the pasted DM text again
    "119271": "redirect",  # Send us a DM and we can start there
    "119273": "redirect",  # which number is calling you? Please DM us more info
    "119275": "redirect",  # please send a DM with your account information
    "119277": "redirect",  # Please follow us by sending a DM
    "119279": "redirect",  # What happens when ...? Does the music pause? Let us know in DM
    "119281": "substantive",  # Can you check if logging out > restarting ... makes a difference?
    "119284": "substantive",  # Sure thing. We'll keep an eye out for your update
    "119286": "substantive",  # What device, operating system, and Spotify version ...?
    "119288": "substantive",  # Can you try the steps here ...? They should help
    "119289": "redirect",  # What is the exact iOS ...? ... DM us your reply
    "119293": "redirect",  # the pasted DM text a third time
    "119295": "substantive",  # Once the points load ... you get it immediately!
    "119298": "redirect",  # Tell us more about the issue you're experiencing in DM
    "119300": "redirect",  # If so, DM us with what's going on
    "119303": "substantive",  # Very sorry to hear this. We hope you get everything sorted
    "119304": "redirect",  # Can you please DM the full service address ...
    "119308": "substantive",  # they will be challenged for ID to prove they're of age
    "119311": "substantive",  # this helps our store colleagues judge age ...
    "119314": "substantive",  # we operate a Think 25 policy at our stores
    "119317": "substantive",  # could you try deleting your cache and cookies ...
    "119320": "substantive",  # as long as you sign out ... you'll still have a full basket
    "119322": "redirect",  # Can you DM me your full name, address and email?
    "119323": "redirect",  # Is there a particular app ...? What model ...? Join us in DM
    "119325": "substantive",  # When did this start happening? Which version of iOS ...?
    "119327": "redirect",  # Please refer to this article & click the link to reply back
    "119329": "substantive",  # UPS has a service called My Choice ...
    "119332": "substantive",  # can I ask if it's the lay out or just the speed ...?
    "119335": "redirect",  # If that doesn't help please DM your full name, address ...
}
# the brand's pasted text: the same sentences to three customers within minutes
TEMPLATES_TWCS = frozenset({"119252", "119269", "119293"})

# Real replies of the API fixtures (none repeats: none is a template).
REPLY_LABELS_FIXTURES: tuple[tuple[str, str, str], ...] = (
    ("x-api-v2", "@sugan2424 @TwitterDev @threadreaderapp You have TweetDeck for that, you "
     "can load up your twitter lists in different columns and keep track of live updates.",
     "substantive"),
    ("x-api-v2", "@JosephAllen1234 https://t.co/kbDnRNU0mj this course uses Twarc2 and has "
     "code samples available", "substantive"),
    ("x-api-v2", "@snowman My fave is the new the metrics, especially for building apps to "
     "help Twitter users track the metrics for their Tweets.", "substantive"),
    ("x-api-v2", "@snowman Ooo, thanks error message, public_metircs are not the metrics "
     "you’re looking for https://t.co/14TzLYBBXi", "substantive"),
    ("x-api-v2", "@snowman @happycamper https://t.co/qvk5BCBtqh", "substantive"),
    ("x-api-v2", "@happycamper Wait, when I try that, I get an error: {", "substantive"),
    ("x-api-v2", "@riverscn 不是很懂。隐私信息不写不就完了。写出来公开放在网上，难道不是默认可以给人看的么？",
     "substantive"),
    ("x-tweepy", "@praatyy are we friends?", "substantive"),
    ("x-tweepy", "@TwitterDev being unable to stop building things", "substantive"),
    ("x-tweepy", "@Twitter they like dinosaurs", "substantive"),
    ("x-tweepy", "@twitter bring back minimized playback for video", "substantive"),
    ("x-tweepy", "@itsJeffTiedrich @twitter where is the false information banner.",
     "substantive"),
    ("x-tweepy", "@GerardDalbon @Twitter @dsa_intl_comm What why?", "substantive"),
    ("mastodon", "@mastodonpy_test hello!", "substantive"),
    ("mastodon", "@mastodonpy_test_2 same!", "substantive"),
    ("x-api-v2", "@ikroskun Hey, guys", "substantive"),
    ("x-api-v2", "@lixiangguodu123 nihao", "substantive"),
    ("graph", "Thanks @adam.the.creator for designing my next board. The sun never stood a "
     "chance.", "substantive"),
)  # fmt: skip

# Written for this table (no real German support data exists): how agencies answer in
# German, redirects and answers mixed, in the style of the sample.
REPLY_LABELS_WRITTEN: tuple[tuple[str, str, str], ...] = (
    ("written", "@anna_k Hallo Anna, schick uns bitte eine DM mit deiner Bestellnummer, dann "
     "schauen wir uns das an. ^JS", "redirect"),
    ("written", "Danke für deine Nachricht! Schreib uns gern eine DM, dann kümmern wir uns "
     "darum.", "redirect"),
    ("written", "Hallo Jonas, ruf uns am besten kurz an, dann klären wir das direkt.",
     "redirect"),
    ("written", "Das tut uns leid! Bitte melde dich per Mail bei uns, wir helfen dir gern "
     "weiter.", "redirect"),
    ("written", "Hi Lea, nutze dafür bitte unser Kontaktformular auf der Website. LG Tina",
     "redirect"),
    ("written", "Oh nein, das ärgert uns. Schreib uns eine PN mit deiner Adresse, wir "
     "schicken Ersatz.", "redirect"),
    ("written", "Hallo Max, am Samstag haben wir von 7 bis 12 Uhr geöffnet.", "substantive"),
    ("written", "Ja, die Nussschnecken gibt es ab morgen wieder, auch glutenfrei!",
     "substantive"),
    ("written", "Dein Rad ist fertig und steht ab 16 Uhr zur Abholung bereit. ^MK",
     "substantive"),
    ("written", "Die Inspektion kostet 89 Euro, einen Termin hätten wir am Donnerstag um 10.",
     "substantive"),
    ("written", "Gerne! Der Akku passt auch an dein Modell, wir haben noch zwei da.",
     "substantive"),
    ("written", "Sorry für die Wartezeit, Paul! Die Ersatzteile kommen am Freitag, wir rufen "
     "dich an, sobald alles eingebaut ist.", "substantive"),
    ("written-en", "Hi Sam, we've sent you a DM with the details.", "redirect"),
    ("written-en", "Hi there, please email us at help@example.com and we'll sort it.",
     "redirect"),
    ("written-en", "Hi Olivia, the signed edition is back in stock on Saturday.", "substantive"),
)  # fmt: skip

# --- acknowledgments ------------------------------------------------------------------------
# (source, text, True when it is a thanks that expects no answer). TWCS rows are the
# sample's customer tweets that come after the brand's answer in the same conversation.

ACK_LABELS: tuple[tuple[str, str, bool], ...] = (
    # real: TWCS sample
    ("twcs", "119260", True),  # @SpotifyCares Brilliant thanks 😊
    ("twcs", "119282", True),  # seems to be working at this stage. Will let you know ... Cheers
    ("twcs", "119291", True),  # Super help - problem solved 😀 once again in love with Apple
    ("twcs", "119296", True),  # I am! Thank you for the answer!!
    ("twcs", "119302", False),  # Thanks for your answer. ... Aircraft will not depart today
    ("twcs", "119258", False),  # No, but I've moved speaker ... Fingers crossed!
    ("twcs", "119241", False),  # see attached error message ...
    ("twcs", "119244", False),  # yep, I've tried laptop too several times ...
    ("twcs", "119242", False),  # I still haven't heard ... Can someone call me?
    ("twcs", "119255", False),  # Thanks! Version 8.4.22.857 ... Does distance matter?
    ("twcs", "119285", False),  # problem has come back again today. is there some kind of bug?
    ("twcs", "119287", False),  # It's on a Macbook Air (early 2014) ...
    ("twcs", "119290", False),  # Latest version 😡😡 I have read the help page ...
    ("twcs", "119305", False),  # It's just in my yard. I've called 4-5 times in 6 weeks.
    ("twcs", "119309", False),  # Maybe hire colleagues who can see?
    ("twcs", "119310", False),  # The point is if it's enforced they do it properly ...
    ("twcs", "119313", False),  # Uk offlicense law is 18. Not 25
    ("twcs", "119318", False),  # Will I lose all the shopping I've done ...?
    ("twcs", "119321", False),  # Done all that. Still telling me there are no delivery slots
    ("twcs", "119324", False),  # I have the latest version iOS. It started immediately ...
    ("twcs", "119333", False),  # bit of both - finding the layout cumbersome ...
    ("twcs", "119270", False),  # Can you get my iPhone 7plus back on the old iOS please?
    # real: API fixtures (Graph comments, X replies)
    ("graph", "OK", True),
    ("graph", "Okay ", True),
    ("graph", "Wow that's great thank you very much", True),
    ("graph", "This is really nice", True),
    ("graph", "help mi", False),
    ("graph", "how can i get invited to the Commerce Manager api ?", False),
    ("graph", "Please what's happened with Facebook camera frame this week it disappear in "
     "frame studio at all. Please Facebook for developers help", False),
    ("x-api-v2", "@ikroskun good", True),
    ("x-api-v2", "@ikroskun Nice", True),
    ("x-tweepy", "@Twitter @Twitter thanks!! I'm a man of my word...stay tuned "
     "https://t.co/ywPuoH1K1q", True),
    ("x-tweepy", "@Twitter same", False),
    ("x-tweepy", "@Twitter wow!!! holy moly", False),
    ("x-tweepy", "@MercyKnifed @Twitter what the fuck???", False),
    ("x-tweepy", "@Twitter @TwitterSupport this is my ENTIRE feed, why do you think i want "
     "this. respond to my ticket. https://t.co/W5GxALkkZd", False),
    ("mastodon", "@mastodonpy_test_2 same!", False),
    # written (German, in the style of the sample; no real German data exists)
    ("written", "@baeckereihuber Perfekt, dann komme ich am Mittwoch vorbei.", True),
    ("written", "Danke, hat geklappt 👍", True),
    ("written", "Super, danke euch!", True),
    ("written", "Alles klar, danke für die schnelle Antwort", True),
    ("written", "Passt, bis morgen!", True),
    ("written", "Vielen lieben Dank! Schönes Wochenende", True),
    ("written", "👍🙏", True),
    ("written", "Ok, mach ich so. Danke!", True),
    ("written", "Top, hab die DM gesehen", True),
    ("written", "Prima, dann bis Samstag", True),
    ("written", "Danke, aber das Paket ist immer noch nicht da", False),
    ("written", "Danke für die Antwort. Wann kommt denn der Techniker?", False),
    ("written", "Ok, und habt ihr am Feiertag offen?", False),
    ("written", "Leider funktioniert es immer noch nicht", False),
    ("written", "Danke, aber meine Bestellung 4711 ist falsch geliefert worden", False),
    ("written", "Hallo?? Ich warte seit drei Tagen", False),
    ("written", "Super Service ist was anderes. Niemand ruft zurück.", False),
    ("written", "Ich habe euch die Nummer geschickt, bitte meldet euch", False),
    ("written-en", "Perfect, I'll come by on Wednesday.", True),
    ("written-en", "Thanks, but the refund still hasn't arrived", False),
)  # fmt: skip


def precision_recall(labelled: list[tuple[bool, bool]]) -> tuple[float, float, int, int, int]:
    """(precision, recall, true positives, false positives, false negatives) of
    (label, predicted) pairs."""
    hits = sum(1 for label, predicted in labelled if label and predicted)
    false_hits = sum(1 for label, predicted in labelled if predicted and not label)
    misses = sum(1 for label, predicted in labelled if label and not predicted)
    precision = hits / (hits + false_hits) if hits + false_hits else 1.0
    recall = hits / (hits + misses) if hits + misses else 1.0
    return precision, recall, hits, false_hits, misses
